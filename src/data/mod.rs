//! Data sets for the reproductions: the registry, a verified store (mirror, cache, downloads)
//! and the loaders.
//!
//! ```no_run
//! use heml::data::{DataStore, load_mnist, load_tabular, split};
//! # fn main() -> heml::data::Result<()> {
//! // The CLI: cache from HEML_DATA_CACHE or <project>/datasets/cache, mirror from
//! // --data-mirror DIR or HEML_DATA_MIRROR.
//! let store = DataStore::from_env(std::path::Path::new("."), None)?;
//! let mnist = load_mnist(&store)?;
//! let pima = load_tabular(&store, "pima-diabetes")?;
//! let ctg10 = load_tabular(&store, "cardiotocography:class")?;
//! let s = split::train_test_split(pima.n_rows, 0.3, 42)?;
//! let (train, test) = (pima.select(&s.train), pima.select(&s.test));
//! # let _ = (mnist, ctg10, train, test);
//! # Ok(())
//! # }
//! ```
//!
//! Layers: `registry` (YAML -> checked types) <- `store` (files, sha256, downloads) <- the
//! loaders (`mnist`, `tabular`, `imdb`, `cifar`, over `tar`) and `split` (pure index maths).

pub mod cifar;
pub mod error;
pub mod imdb;
pub mod mnist;
pub mod registry;
pub mod split;
pub mod store;
pub mod tabular;
pub mod tar;

pub use cifar::{Cifar10, load_cifar10};
pub use error::{DataError, Result};
pub use imdb::{
    ImdbSplit, Review, Sentiment, load_imdb_reviews, load_trask_labels, load_trask_reviews,
};
pub use mnist::{Mnist, MnistSplit, load_mnist};
pub use registry::{Dataset, Registry, Status};
pub use split::{
    Split, k_fold, stratified_train_test_split, train_test_split, undersample_balanced,
};
pub use store::{
    Action, DataStore, FileCheck, FileReport, NoProgress, Progress, Source, Task, Verification,
};
pub use tabular::{Tabular, load_tabular};
