//! The GPU engine reports what it cannot recover from by panicking: wgpu's default handler
//! for an uncaptured device error (a buffer allocation that does not fit in GPU memory, a
//! validation failure) panics with `wgpu error: …`, and reading results back from a lost
//! device fails the same way. At the command's boundary such a panic becomes an ordinary
//! error that names the batch size and the adapter, so the user sees what to change rather
//! than a stack trace. Unwinding drops everything the run held on the way out, the run
//! folder's lock included.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use crate::{Error, Result};

/// Test hook (environment variable, the `what` of a guarded command, e.g. `evaluation`):
/// panic where the command calls [`EngineContext::injected_failure`], as the engine does on a
/// failed GPU allocation.
pub const PANIC_IN: &str = "DVAAN_TEST_ENGINE_PANIC_IN";

/// What the failure message names, filled in as the command learns it.
#[derive(Debug, Default)]
pub struct EngineContext {
    what: String,
    batch: RefCell<Option<usize>>,
    adapter: RefCell<Option<String>>,
}

impl EngineContext {
    pub fn set_batch(&self, batch: usize) {
        *self.batch.borrow_mut() = Some(batch);
    }

    pub fn set_adapter(&self, adapter: &str) {
        *self.adapter.borrow_mut() = Some(adapter.to_string());
    }

    /// Panics when the [`PANIC_IN`] test hook names this command; a no-op otherwise.
    pub fn injected_failure(&self) {
        if std::env::var(PANIC_IN).is_ok_and(|v| v.trim() == self.what) {
            panic!("wgpu error: Out of Memory (injected by {PANIC_IN})");
        }
    }
}

thread_local! {
    /// Where the last panic on this thread happened, recorded by the quiet hook.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic inside it into [`Error::Engine`]. `what` says what was being
/// done ("training"). The default panic message is kept off stderr for this thread, since
/// the error repeats the panic's message and location; other threads keep it.
pub fn guard<T>(what: &str, f: impl FnOnce(&EngineContext) -> Result<T>) -> Result<T> {
    let context = EngineContext {
        what: what.to_string(),
        ..EngineContext::default()
    };
    let main = std::thread::current().id();
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == main {
            let at = info.location().map(|l| l.to_string());
            LOCATION.with(|slot| *slot.borrow_mut() = at);
        } else {
            previous(info);
        }
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(|| f(&context)));
    // Back to the default hook: the binary installs no other.
    let _ = panic::take_hook();
    result.unwrap_or_else(|payload| {
        Err(Error::Engine {
            what: what.to_string(),
            batch: context.batch.borrow().to_owned(),
            adapter: context.adapter.borrow().clone(),
            message: panic_message(payload.as_ref()),
            location: LOCATION.with(|slot| slot.borrow_mut().take()),
        })
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.trim().to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.trim().to_string()
    } else {
        "no message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_batch_and_adapter() {
        let r: Result<()> = guard("training", |c| {
            c.set_batch(64);
            c.set_adapter("llvmpipe (Vulkan, Cpu)");
            panic!("wgpu error: Out of Memory");
        });
        let msg = r.unwrap_err().to_string();
        for needle in ["batch size 64", "llvmpipe", "Out of Memory", "--batch"] {
            assert!(msg.contains(needle), "{needle:?} missing: {msg}");
        }
        let ok: Result<u8> = guard("training", |_| Ok(3));
        assert_eq!(ok.unwrap(), 3);
    }
}
