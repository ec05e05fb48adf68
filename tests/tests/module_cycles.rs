//! No cycles between the top-level modules of a crate: within each crate's `src/` tree, the
//! graph "module A names something in module B" (a `crate::B…` path, a `super::…` path that
//! leaves A, or a name the crate root re-exports from B) must be acyclic, so that every
//! module can be read, tested and replaced with only the modules below it in mind.
//!
//! The sources are read as text, not compiled: comments, strings and character literals are
//! blanked out, inline `mod name { … }` blocks are tracked so that `super::` resolves as the
//! compiler would, and only the first segment after the crate root matters. Binaries
//! (`src/bin`) are crates of their own and reach the library by its name, so they are not
//! part of its graph.
//!
//! `MODULE_CYCLES_ROOT` points the check at another checkout of the workspace (e.g. an
//! older commit exported with `git archive`), to see what it reports there.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Where one module names another: `file:line`.
type Edges = BTreeMap<(String, String), Vec<String>>;

#[test]
fn no_crate_has_a_cycle_between_its_top_level_modules() {
    let root = std::env::var_os("MODULE_CYCLES_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let crates = ["crates/tensor", "crates/autograd", "crates/dvaan", "tests"];
    let mut report = String::new();
    for krate in crates {
        let src = root.join(krate).join("src");
        let edges = module_edges(&src);
        let mut listing = String::new();
        for ((a, b), at) in &edges {
            listing += &format!("  {a} -> {b}   ({})\n", at[0]);
        }
        println!("{krate}: {} edges\n{listing}", edges.len());
        for cycle in cycles(&edges) {
            report += &format!("{krate}: modules {} form a cycle:\n", cycle.join(", "));
            for ((a, b), at) in &edges {
                if cycle.contains(a) && cycle.contains(b) {
                    report += &format!("  {a} -> {b} at {}\n", at.join(", "));
                }
            }
        }
    }
    assert!(report.is_empty(), "module cycles found:\n{report}");
}

/// A self-test of the reader on a small synthetic crate: a cycle through a root re-export
/// and `super::` is found, and a `super::` inside an inline test module is not an edge.
#[test]
fn the_reader_resolves_reexports_super_and_inline_modules() {
    let dir = std::env::temp_dir().join(format!("module-cycles-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("b")).unwrap();
    let files = [
        ("lib.rs", "mod a;\nmod b;\nmod c;\npub use b::Thing;\n"),
        (
            "a.rs",
            "use crate::Thing; // crate::c in a comment is no edge\nconst S: &str = \"crate::c\";\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n    fn f() { let _ = '{'; }\n}\n",
        ),
        ("b/mod.rs", "mod inner;\npub struct Thing;\n"),
        ("b/inner.rs", "use super::super::c::helper;\n"),
        ("c.rs", "pub fn helper() { super::a::nothing(); }\n"),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).unwrap();
    }
    let edges = module_edges(&src);
    let pairs: Vec<(String, String)> = edges.keys().cloned().collect();
    let expect = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        pairs,
        vec![expect("a", "b"), expect("b", "c"), expect("c", "a")]
    );
    assert_eq!(
        cycles(&edges),
        vec![vec!["a".to_string(), "b".into(), "c".into()]]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Edges between the top-level modules declared in `src/lib.rs`, with where each is made.
fn module_edges(src: &Path) -> Edges {
    let lib = std::fs::read_to_string(src.join("lib.rs"))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.join("lib.rs").display()));
    let lib = blank_comments_and_literals(&lib);
    let tops = top_modules(&lib);
    let mut names = root_names(&lib, &tops);
    let mut files = Vec::new();
    for top in &tops {
        let file = src.join(format!("{top}.rs"));
        if file.exists() {
            files.push((file, vec![top.clone()]));
        }
        collect(&src.join(top), vec![top.clone()], &mut files);
    }
    // Macros exported at the crate root belong to the module that defines them.
    for (file, module) in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut exported = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[macro_export]") {
                exported = true;
            } else if let Some(rest) = line.strip_prefix("macro_rules!") {
                if exported {
                    names.insert(ident_at(rest.trim_start()), module[0].clone());
                }
                exported = false;
            }
        }
    }
    let mut edges = Edges::new();
    for (file, module) in &files {
        let text = blank_comments_and_literals(&std::fs::read_to_string(file).unwrap());
        let shown = file.strip_prefix(src).unwrap_or(file).display().to_string();
        for (line, target) in references(&text, module) {
            let Some(target) = names.get(&target).or_else(|| tops.get(&target)) else {
                continue;
            };
            if target != &module[0] {
                edges
                    .entry((module[0].clone(), target.clone()))
                    .or_default()
                    .push(format!("src/{shown}:{line}"));
            }
        }
    }
    edges
}

/// The module files below `dir` (a top-level module's folder), with their module paths.
fn collect(dir: &Path, module: Vec<String>, out: &mut Vec<(PathBuf, Vec<String>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut sub = module.clone();
            sub.push(stem);
            collect(&path, sub, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let mut sub = module.clone();
            if stem != "mod" {
                sub.push(stem);
            }
            out.push((path, sub));
        }
    }
}

/// `mod name;` declarations of the crate root (inline `mod name { … }` blocks at the root
/// are not separate files and are left out).
fn top_modules(lib: &str) -> BTreeSet<String> {
    let mut tops = BTreeSet::new();
    for stmt in lib.split(';') {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "mod") {
            if i + 2 == words.len() || (i + 1 < words.len() && !stmt.contains('{')) {
                if let Some(name) = words.get(i + 1) {
                    tops.insert(name.to_string());
                }
            }
        }
    }
    tops
}

/// Names visible at the crate root through `use` (public or not), mapped to the top-level
/// module they come from; top-level modules map to themselves.
fn root_names(lib: &str, tops: &BTreeSet<String>) -> HashMap<String, String> {
    let mut names: HashMap<String, String> = tops.iter().map(|t| (t.clone(), t.clone())).collect();
    for stmt in lib.split(';') {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "use") else {
            continue;
        };
        let path = words[at + 1..].join(" ");
        let path = path.as_str();
        let path = path.strip_prefix("self::").unwrap_or(path);
        let first = ident_at(path);
        if !tops.contains(&first) {
            continue;
        }
        for leaf in leaves(&path[first.len()..]) {
            names.insert(leaf, first.clone());
        }
    }
    names
}

/// The names a `use` tail brings into scope: `::{A, b::C as D}` gives `A` and `D`.
fn leaves(tail: &str) -> Vec<String> {
    let cleaned: String = tail
        .chars()
        .map(|c| if "{},".contains(c) { ' ' } else { c })
        .collect();
    let mut out = Vec::new();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        if i + 2 < words.len() && words[i + 1] == "as" {
            out.push(words[i + 2].to_string());
            i += 3;
        } else {
            let last = words[i].rsplit("::").next().unwrap_or("");
            if !last.is_empty() && last != "*" && last != "self" {
                out.push(last.to_string());
            }
            i += 1;
        }
    }
    out
}

/// Every name at the crate root that `text` (a file of module `module`) refers to through
/// `crate::` or through `super::` paths that climb to the root, with its line number.
fn references(text: &str, module: &[String]) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // Inline modules open at a brace depth; `super::` inside them starts one level deeper.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => line += 1,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            _ => {}
        }
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let starts_word = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        if starts_word && text[i..].starts_with("mod ") {
            let name = ident_at(text[i + 4..].trim_start());
            let after = text[i + 4..].trim_start()[name.len()..].trim_start();
            if after.starts_with('{') {
                inline.push((name, depth));
            }
        }
        if starts_word && (text[i..].starts_with("crate::") || text[i..].starts_with("super::")) {
            let mut here: Vec<String> = module.to_vec();
            here.extend(inline.iter().map(|(n, _)| n.clone()));
            let mut rest = &text[i..];
            let absolute = rest.starts_with("crate::");
            if absolute {
                here.clear();
                rest = &rest["crate::".len()..];
            } else {
                while let Some(r) = rest.strip_prefix("super::") {
                    here.pop();
                    rest = r.trim_start();
                }
            }
            let consumed = text[i..].len() - rest.len();
            if here.is_empty() {
                let targets = if rest.starts_with('{') {
                    group_heads(rest)
                } else {
                    vec![ident_at(rest)]
                };
                out.extend(
                    targets
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .map(|t| (line, t)),
                );
            }
            // Skip the path just read, so `super::super::` is not read twice.
            line += text[i..i + consumed].matches('\n').count();
            i += consumed.max(1);
            continue;
        }
        i += 1;
    }
    out
}

/// The first segment of each item of a `{a::b, c, d::{e, f}}` group.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    for (at, c) in group.char_indices() {
        match c {
            '{' => {
                depth += 1;
                expect_head = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect_head = true,
            c if c.is_whitespace() => {}
            _ if expect_head && depth == 1 => {
                heads.push(ident_at(&group[at..]));
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn ident_at(s: &str) -> String {
    s.bytes()
        .take_while(|&b| is_ident(b))
        .map(char::from)
        .collect()
}

/// The text with comments, string literals and character literals replaced by spaces
/// (newlines kept, so line numbers still hold).
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut nesting = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    nesting += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    nesting -= 1;
                    out.push_str("  ");
                    i += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !prev_ident(&chars, i) {
            // A raw string r"…" or r#"…"#: ends at a quote followed by as many hashes.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.extend(chars[i..j.min(chars.len())].iter().map(|&c| blank(c)));
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{7f}'); a lifetime ('a) has no closing quote.
            let end = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(chars[i..=end].iter().map(|&c| blank(c)));
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The strongly connected components with more than one module (Tarjan), each sorted.
fn cycles(edges: &Edges) -> Vec<Vec<String>> {
    let mut nodes: Vec<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    nodes.sort();
    nodes.dedup();
    let index_of: HashMap<&String, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (a, b) in edges.keys() {
        next[index_of[a]].push(index_of[b]);
    }
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        found: Vec<Vec<usize>>,
    }
    fn visit(v: usize, next: &[Vec<usize>], s: &mut State) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &next[v] {
            match s.index[w] {
                None => {
                    visit(w, next, s);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let n = nodes.len();
    let mut state = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        counter: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            visit(v, &next, &mut state);
        }
    }
    let mut out: Vec<Vec<String>> = state
        .found
        .into_iter()
        .map(|c| {
            let mut names: Vec<String> = c.into_iter().map(|i| nodes[i].clone()).collect();
            names.sort();
            names
        })
        .collect();
    out.sort();
    out
}
