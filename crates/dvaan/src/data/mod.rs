//! Data: readers for IDX, CIFAR-10 binary, CSV and PNG files, the binary tasks of the paper
//! built from them, new data to score with a trained model, seeded mini-batches, and the
//! MNIST JSON importer.

mod batches;
mod cifar;
mod csv;
mod dataset;
mod error;
mod export;
mod idx;
mod inputs;
mod kind;
mod mnist_json;
mod png_folder;
mod rng;
mod source;
mod standardise;
mod task;
mod validation;

#[cfg(test)]
mod tests;

pub use batches::{batches_per_epoch, sequential, BatchSampler, LastBatch};
pub use cifar::{read_cifar_file, CifarRecords};
pub use csv::{read_csv, CsvOptions, LabelColumn, Table};
pub use dataset::Dataset;
pub use error::DataError;
pub use export::{export_dir, exported_kind, write_split, SplitData};
pub use idx::{
    read_idx_images, read_idx_labels, write_idx_images, write_idx_labels, IdxImages, IdxLabels,
};
pub use inputs::{read_inputs, InputSpec, Inputs};
pub use kind::{DatasetKind, SplitName, DEBIAN_FASHION_MNIST};
pub use mnist_json::{import_mnist_json, ImportSummary, SPLIT_SEED as MNIST_SPLIT_SEED};
pub use png_folder::{read_png_folder, PngImages};
pub use standardise::Standardiser;
pub use task::{load_task, pixel_byte, pixel_value, Task, TaskSpec};
pub use validation::{split_validation, stratified_holdout};
