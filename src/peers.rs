//! Peer comparisons measured side by side in one run: the same operations at
//! the same sizes in heml and in a peer library, reported as ratios.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use crate::timing::median_s;
use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use crate::he::math::kernel::{self, Kernel};
use crate::he::paillier::{
    EncodedMatrix, EncodedNumber, EncryptedNumber, EncryptionMode, PackedEncryptedVector,
    PaillierParams, WeightEncoding, generate_keypair,
};

/// One operation timed in both libraries.
#[derive(Debug, Clone, Serialize)]
pub struct PeerRow {
    pub operation: String,
    pub heml_s: f64,
    pub peer_s: f64,
    /// peer time / heml time: how many times faster heml is.
    pub speedup: f64,
    /// The target speedup, when it names one.
    pub target: Option<f64>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerReport {
    pub peer: String,
    /// The arithmetic kernel heml ran on (Paillier's arithmetic is GMP's on
    /// every kernel; recorded so that every peer table names it).
    pub kernel: Kernel,
    pub peer_details: serde_json::Value,
    pub key_bits: u32,
    pub threads: u32,
    pub rows: Vec<PeerRow>,
}

impl PeerReport {
    pub fn render(&self) -> String {
        let mut s = format!(
            "heml (kernel {}) vs {} ({}-bit keys, {} thread, medians)\n{:<34} {:>12} {:>12} {:>9} {:>8}  note\n",
            self.kernel,
            self.peer,
            self.key_bits,
            self.threads,
            "operation",
            "heml",
            "peer",
            "speedup",
            "target"
        );
        for r in &self.rows {
            let target = match r.target {
                Some(t) if r.speedup >= t => format!("{t}x ok"),
                Some(t) => format!("{t}x MISS"),
                None => "-".into(),
            };
            s += &format!(
                "{:<34} {:>12} {:>12} {:>8.1}x {:>8}  {}\n",
                r.operation,
                fmt_s(r.heml_s),
                fmt_s(r.peer_s),
                r.speedup,
                target,
                r.note
            );
        }
        s
    }
}

fn fmt_s(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.1} us", s * 1e6)
    }
}

/// A Python with the peer libraries (TenSEAL, python-paillier) and the
/// directory of heml's peer scripts.
#[derive(Debug, Clone)]
pub struct PeerEnv {
    pub python: PathBuf,
    pub scripts: PathBuf,
}

impl PeerEnv {
    /// `HEML_PEER_PYTHON`, else the clone's `.venv/bin/python` (made by `just
    /// peers-venv`); `None` when neither exists, and experiments then record
    /// that the peer did not run.
    pub fn discover(project_root: &Path) -> Option<PeerEnv> {
        let python = std::env::var_os("HEML_PEER_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| project_root.join(".venv/bin/python"));
        let scripts = project_root.join("peers");
        (python.exists() && scripts.is_dir()).then_some(PeerEnv { python, scripts })
    }

    /// Runs `peers/cs21_peer.py --task <task>` (TenSEAL, one thread) on
    /// `input`, written to a temporary file, with `args`; returns the peer's
    /// JSON. A peer that reports an error is an error naming it.
    pub fn cs21(
        &self,
        task: &str,
        input: &serde_json::Value,
        args: &[String],
    ) -> Result<serde_json::Value> {
        let dir = std::env::temp_dir().join(format!("heml-peer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("cs21-{task}.json"));
        std::fs::write(&path, serde_json::to_vec(input)?)
            .with_context(|| format!("writing {}", path.display()))?;
        let mut all = vec![
            "--task".to_string(),
            task.to_string(),
            "--input".into(),
            path.display().to_string(),
        ];
        all.extend_from_slice(args);
        let script = self.scripts.join("cs21_peer.py");
        let result = run_peer_script(&self.python, &script, "TenSEAL", &all);
        let _ = std::fs::remove_file(&path);
        let out = result?;
        if let Some(e) = out.get("error").and_then(|e| e.as_str()) {
            bail!("the TenSEAL peer ({task}) failed: {e}");
        }
        Ok(out)
    }
}

/// Runs a peer's timing script with one thread and returns its JSON.
fn run_peer_script(
    python: &Path,
    script: &Path,
    peer: &str,
    args: &[String],
) -> Result<serde_json::Value> {
    let out = std::process::Command::new(python)
        .arg(script)
        .args(args)
        .env("OMP_NUM_THREADS", "1")
        .output()
        .with_context(|| format!("running {} {}", python.display(), script.display()))?;
    if !out.status.success() {
        // The CS21 script prints its error as JSON and exits non-zero.
        let reported = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from));
        bail!(
            "the {peer} peer failed (install it with `just peers-venv`): {}",
            reported.unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).into_owned())
        );
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("parsing the {peer} peer's JSON"))
}

/// python-paillier (with gmpy2) against heml, one thread, same key size and
/// the same workload: one pixel k/255, a 784-pixel image, a 10x784 layer of
/// weights uniform in [-0.5, 0.5] with python-paillier's default encoding.
pub fn paillier(python: &Path, script: &Path, key_bits: u32) -> Result<PeerReport> {
    let args = [
        "--key-bits",
        &key_bits.to_string(),
        "--repeats",
        "7",
        "--heavy-repeats",
        "1",
    ];
    let peer = run_peer_script(python, script, "python-paillier", &args.map(String::from))?;
    let p = |k: &str| -> Result<f64> {
        peer[k]["median"]
            .as_f64()
            .with_context(|| format!("the peer's JSON lacks {k}.median"))
    };

    // The same workload in heml, on this thread.
    let djn = generate_keypair(&PaillierParams::new(key_bits, EncryptionMode::Djn)?)?;
    let std_kp = generate_keypair(&PaillierParams::new(key_bits, EncryptionMode::Standard)?)?;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let pixels: Vec<f64> = (0..784)
        .map(|_| (next() * 256.0).floor().min(255.0) / 255.0)
        .collect();
    let weights: Vec<f64> = (0..10 * 784).map(|_| next() - 0.5).collect();
    let pixel = pixels[1];

    let keygen = median_s(3, || {
        black_box(
            generate_keypair(&PaillierParams::new(key_bits, EncryptionMode::Djn).unwrap()).unwrap(),
        );
    });
    let enc_djn = median_s(50, || {
        black_box(djn.public.encrypt_f64(black_box(pixel)).unwrap());
    });
    let enc_std = median_s(15, || {
        black_box(std_kp.public.encrypt_f64(black_box(pixel)).unwrap());
    });
    let offline = median_s(50, || {
        black_box(djn.public.fresh_randomiser().unwrap());
    });
    let r = djn.public.fresh_randomiser()?;
    let online = median_s(200, || {
        let e = EncodedNumber::encode_f64(&djn.public, black_box(pixel)).unwrap();
        black_box(
            djn.public
                .raw_encrypt_with_randomiser(e.encoding(), &r)
                .unwrap(),
        );
    });
    let image_s = median_s(3, || {
        black_box(
            pixels
                .iter()
                .map(|&x| djn.public.encrypt_f64(x).unwrap())
                .collect::<Vec<_>>(),
        );
    });
    let image: Vec<EncryptedNumber> = pixels
        .iter()
        .map(|&x| djn.public.encrypt_f64(x))
        .collect::<Result<_, _>>()?;
    let matrix = EncodedMatrix::encode_f64(10, 784, &weights, WeightEncoding::PythonDefault)?;
    let layer_s = median_s(3, || {
        black_box(matrix.apply(&image).unwrap());
    });
    // The layer's result must be the float result, as python's is.
    let outputs = matrix.apply(&image)?;
    let mut max_err = 0.0f64;
    for (r, o) in outputs.iter().enumerate() {
        let plain: f64 = weights[r * 784..(r + 1) * 784]
            .iter()
            .zip(&pixels)
            .map(|(w, x)| w * x)
            .sum();
        max_err = max_err.max((djn.secret.decrypt_f64(o)? - plain).abs());
    }
    if max_err > 1e-9 {
        bail!("heml's 10x784 layer is off by {max_err} against float arithmetic");
    }
    let ct = djn.public.encrypt_f64(pixel)?;
    let ct2 = djn.public.encrypt_f64(pixels[2])?;
    let decrypt = median_s(50, || {
        black_box(djn.secret.decrypt_f64(black_box(&ct)).unwrap());
    });
    let bound = weights
        .chunks(784)
        .map(|r| r.iter().map(|w| w.abs()).sum::<f64>())
        .fold(0.0, f64::max)
        + 1.0;
    let pack = median_s(5, || {
        black_box(PackedEncryptedVector::pack_with_bound(&outputs, bound).unwrap());
    });
    let packed = PackedEncryptedVector::pack_with_bound(&outputs, bound)?;
    let decrypt_packed = median_s(20, || {
        black_box(djn.secret.decrypt_packed(black_box(&packed)).unwrap());
    });
    let add = median_s(500, || {
        black_box(ct.add(black_box(&ct2)).unwrap());
    });
    let mul = median_s(50, || {
        black_box(ct.mul_f64(black_box(weights[0])).unwrap());
    });

    let row = |op: &str, heml_s: f64, peer_s: f64, target: Option<f64>, note: &str| PeerRow {
        operation: op.into(),
        heml_s,
        peer_s,
        speedup: peer_s / heml_s,
        target,
        note: note.into(),
    };
    let rows = vec![
        row(
            "keygen",
            keygen,
            p("keygen_s")?,
            None,
            "heml: DJN key (h_s and its fixed-base table included)",
        ),
        row(
            "encrypt one (DJN, fixed-base)",
            enc_djn,
            p("encrypt_one_s")?,
            Some(20.0),
            "heml's default mode",
        ),
        row(
            "encrypt one (standard r^n)",
            enc_std,
            p("encrypt_one_s")?,
            None,
            "the same algorithm as python-paillier",
        ),
        row(
            "encrypt one, online (pool)",
            online,
            p("encrypt_one_s")?,
            Some(20.0),
            "randomiser precomputed offline",
        ),
        row(
            "  offline: one randomiser",
            offline,
            p("encrypt_one_s")?,
            None,
            "h_s^a with the fixed-base table",
        ),
        row(
            "encrypt image (784 px, DJN)",
            image_s,
            p("encrypt_image_784_s")?,
            Some(20.0),
            "",
        ),
        row(
            "10x784 layer",
            layer_s,
            p("layer_10x784_s")?,
            Some(10.0),
            &format!(
                "multi-exponentiation, {}-bit weight mantissas; max error vs f64 {max_err:.1e}",
                matrix.max_mantissa_bits()
            ),
        ),
        row(
            "decrypt one",
            decrypt,
            p("decrypt_one_s")?,
            Some(2.0),
            "CRT, as python-paillier: both are GMP powm",
        ),
        row(
            "decrypt 10 logits (packed)",
            pack + decrypt_packed,
            10.0 * p("decrypt_one_s")?,
            None,
            "heml packs the outputs into one ciphertext (server side, included); python: 10 decryptions",
        ),
        row("add", add, p("add_one_s")?, None, ""),
        row("multiply by float", mul, p("mul_scalar_one_s")?, None, ""),
    ];
    let name = format!(
        "python-paillier {} + gmpy2 {}",
        peer["phe_version"].as_str().unwrap_or("?"),
        peer["gmpy2_version"].as_str().unwrap_or("?")
    );
    Ok(PeerReport {
        peer: name,
        kernel: kernel::active(),
        peer_details: peer,
        key_bits,
        threads: 1,
        rows,
    })
}

/// One CKKS operation timed in heml and in TenSEAL.
#[derive(Debug, Clone, Serialize)]
pub struct CkksPeerRow {
    pub operation: String,
    pub heml_s: f64,
    pub peer_s: f64,
    /// heml time / TenSEAL time: below 1, heml is faster.
    pub ratio: f64,
    /// The target as a largest allowed ratio heml/TenSEAL.
    pub target_ratio: Option<f64>,
    pub heml_precision: crate::he::ckks::PrecisionStats,
    pub peer_max_abs_error: Option<f64>,
    pub security: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CkksPeerReport {
    pub peer: String,
    /// The arithmetic kernel that served heml's NTT and element-wise arithmetic.
    pub kernel: Kernel,
    pub peer_details: serde_json::Value,
    pub parameters: String,
    pub threads: u32,
    /// Peak resident memory of the heml process (VmHWM), MiB.
    pub heml_peak_rss_mib: Option<f64>,
    pub heml: crate::experiments::ckks_ops::OpTable,
    pub rows: Vec<CkksPeerRow>,
}

impl CkksPeerReport {
    pub fn render(&self) -> String {
        let mut s = format!(
            "heml (kernel {}) vs {} ({}, {} thread, medians; ratio = heml / TenSEAL time)\n{:<20} {:>11} {:>11} {:>8} {:>11}  {:>22} {:>9}  {:<18} note\n",
            self.kernel,
            self.peer,
            self.parameters,
            self.threads,
            "operation",
            "heml",
            "TenSEAL",
            "ratio",
            "target",
            "heml log2 err max/med",
            "TS err",
            "security"
        );
        for r in &self.rows {
            let target = match r.target_ratio {
                Some(t) if r.ratio <= t => format!("<={} ok", fmt_ratio(t)),
                Some(t) => format!("<={} MISS", fmt_ratio(t)),
                None => "-".into(),
            };
            s += &format!(
                "{:<20} {:>11} {:>11} {:>7}x {:>11}  {:>10.1} / {:>9.1} {:>9}  {:<18} {}\n",
                r.operation,
                fmt_s(r.heml_s),
                fmt_s(r.peer_s),
                fmt_ratio(r.ratio),
                target,
                r.heml_precision.max_log2_error,
                r.heml_precision.median_log2_error,
                r.peer_max_abs_error
                    .map_or("-".into(), |e| format!("{:.0e}", e)),
                r.security,
                r.note
            );
        }
        s += &format!(
            "heml keygen {:.2} s ({} Galois keys); peak resident memory of heml's process (VmHWM): {}\n",
            self.heml.keygen_s,
            self.heml.galois_keys,
            self.heml_peak_rss_mib
                .map_or("unknown".into(), |m| format!("{m:.0} MiB"))
        );
        s
    }
}

fn fmt_ratio(r: f64) -> String {
    if r >= 0.1 {
        format!("{r:.2}")
    } else {
        format!("{r:.4}")
    }
}

/// TenSEAL 0.3.18 against heml, one thread, the same parameters and the same
/// operation table (`experiments::ckks_ops`). heml's table runs first, in this
/// process, so the peak memory is heml's own.
pub fn ckks(
    python: &Path,
    script: &Path,
    literal: &crate::he::ckks::CkksParametersLiteral,
) -> Result<CkksPeerReport> {
    use crate::experiments::ckks_ops::{self, OpRepeats};
    let heml = ckks_ops::measure(
        literal,
        OpRepeats {
            single: 15,
            heavy: 3,
        },
        &|op| eprintln!("  heml: {op}"),
    )?;
    let heml_peak_rss_mib = ckks_ops::peak_rss_mib();
    let bits: Vec<String> = literal
        .coeff_mod_bit_sizes
        .iter()
        .map(u32::to_string)
        .collect();
    eprintln!("  TenSEAL: running {}", script.display());
    let args = [
        "--n".to_string(),
        literal.poly_modulus_degree.to_string(),
        "--bits".into(),
        bits.join(","),
        "--log2-scale".into(),
        literal.log2_scale.to_string(),
        "--repeats".into(),
        "15".into(),
        "--heavy-repeats".into(),
        "1".into(),
    ];
    let peer = run_peer_script(python, script, "TenSEAL", &args)?;
    let mut rows = Vec::new();
    for r in &heml.rows {
        // dot_4096 at any N; every other name is the peer's key.
        let key = r.operation.clone();
        let peer_s = peer[format!("{key}_s")]["median"]
            .as_f64()
            .with_context(|| format!("the peer's JSON lacks {key}_s.median"))?;
        let target_ratio = if key.starts_with("mm_") {
            Some(1.0 / 30.0)
        } else {
            Some(1.0)
        };
        rows.push(CkksPeerRow {
            operation: key.clone(),
            heml_s: r.elapsed_s,
            peer_s,
            ratio: r.elapsed_s / peer_s,
            target_ratio,
            heml_precision: r.precision.clone(),
            peer_max_abs_error: peer[format!("{key}_max_error")].as_f64(),
            security: heml.security.clone(),
            note: r.note.clone(),
        });
    }
    Ok(CkksPeerReport {
        peer: format!(
            "TenSEAL {}",
            peer["tenseal_version"].as_str().unwrap_or("?")
        ),
        peer_details: peer,
        kernel: kernel::active(),
        parameters: heml.parameters.clone(),
        threads: 1,
        heml_peak_rss_mib,
        heml,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_tables_name_the_kernel_in_their_header_and_json() {
        let report = PeerReport {
            peer: "python-paillier 1.5.0 + gmpy2 2.3.2".into(),
            kernel: Kernel::Avx2,
            peer_details: serde_json::json!({}),
            key_bits: 2048,
            threads: 1,
            rows: vec![PeerRow {
                operation: "add".into(),
                heml_s: 1e-5,
                peer_s: 2e-5,
                speedup: 2.0,
                target: None,
                note: String::new(),
            }],
        };
        let text = report.render();
        assert!(
            text.starts_with("heml (kernel avx2) vs python-paillier 1.5.0"),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["kernel"], "avx2");

        let precision = crate::he::ckks::PrecisionStats::compute(&[1.0], &[1.0 + 1e-6]).unwrap();
        let ckks = CkksPeerReport {
            peer: "TenSEAL 0.3.18".into(),
            kernel: Kernel::Avx512Ifma,
            peer_details: serde_json::json!({}),
            parameters: "N=8192".into(),
            threads: 1,
            heml_peak_rss_mib: None,
            heml: crate::experiments::ckks_ops::OpTable {
                parameters: "N=8192".into(),
                literal: crate::he::ckks::CkksParametersLiteral::tenseal_8192(),
                security: "128-bit".into(),
                log2_qp: 200.0,
                keygen_s: 0.1,
                galois_keys: 0,
                rows: vec![],
            },
            rows: vec![CkksPeerRow {
                operation: "add".into(),
                heml_s: 1e-5,
                peer_s: 2e-5,
                ratio: 0.5,
                target_ratio: Some(1.0),
                heml_precision: precision,
                peer_max_abs_error: None,
                security: "128-bit".into(),
                note: String::new(),
            }],
        };
        let text = ckks.render();
        assert!(
            text.starts_with("heml (kernel avx512ifma) vs TenSEAL 0.3.18 (N=8192"),
            "{text}"
        );
        assert_eq!(serde_json::to_value(&ckks).unwrap()["kernel"], "avx512ifma");
    }
}
