//! Reader and task tests on small files generated in a temporary folder: every kind of bad
//! input must come back as the right error, with a message that points at the problem.

mod cifar;
mod csv;
mod idx;
mod mnist_json;
mod task;
mod util;
