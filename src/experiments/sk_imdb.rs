//! Sayyad & Kulkarni: a network with weights encrypted by the integer-vector
//! scheme of Zhou and Wornell, trained online on IMDB (Trask's sentiment
//! network, "Building Safe A.I."), against the same network with plaintext
//! weights. Claims SK-ops (the scheme's operations decrypt to the plaintext
//! results) and SK-T3 (Table III: correct reviews while training).
//!
//! The reviews are regenerated from the Maas archive in Trask's order and
//! preprocessing (`sk_net::trask_line`); his `reviews.txt` itself is not
//! available. Every row carries the scheme's security warning: the scheme is
//! broken, and `attack_*` rows show its key recovered from the public key.

use std::time::Instant;

use anyhow::{Context as _, Result, bail, ensure};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::sk_net::{
    NetConfig, PpArithmetic, PpConfig, PpVariant, PreparedData, TRASK_MIN_COUNT,
    TRASK_POLARITY_CUTOFF, TrainResult, train_plain, train_pp, trask_line,
};
use crate::data::imdb::{ImdbSplit, Sentiment, load_imdb_reviews, load_trask_labels, trask_order};
use crate::he::intvec::{
    BilinearKey, IntVecParams, KeySwitchKey, LinearTransformKey, SECURITY_WARNING, SecretKey,
    recover_secret_key,
};
use crate::results::record::MetricKind;
use crate::spec::{BaselineModel, Scheme};

/// Vector length of the operation checks: the network's hidden width.
const OPS_DIM: usize = 8;

/// SK-ops: every operation of the scheme on random vectors against plaintext
/// integer arithmetic, `trials` times each, with its median time.
fn check_operations(
    rec: &mut super::Recorder,
    params: &IntVecParams,
    trials: usize,
    seed: u64,
) -> Result<()> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let sk = SecretKey::generate(params, OPS_DIM, &mut rng)?;
    let sk2 = SecretKey::generate(params, OPS_DIM, &mut rng)?;
    let sk1 = SecretKey::generate(params, 1, &mut rng)?;
    let bound: i128 = 1 << 18;
    let g: Vec<Vec<i64>> = (0..OPS_DIM)
        .map(|_| (0..OPS_DIM).map(|_| rng.random_range(-8..=8)).collect())
        .collect();
    let h: Vec<Vec<i64>> = (0..OPS_DIM)
        .map(|_| (0..OPS_DIM).map(|_| rng.random_range(-4..=4)).collect())
        .collect();
    let switch = KeySwitchKey::new(&sk, &sk2, &mut rng)?;
    let linear = LinearTransformKey::new(&g, &sk, &sk2, &mut rng)?;
    let inner = BilinearKey::inner_product(&sk, &sk, &sk1, &mut rng)?;
    let weighted = BilinearKey::weighted_inner_product(&h, &sk, &sk, &sk1, &mut rng)?;
    let mut mismatches = 0usize;
    let mut times: Vec<(&str, Vec<f64>)> = [
        "encrypt",
        "decrypt",
        "add",
        "key_switch",
        "linear_transform",
        "inner_product",
        "weighted_inner_product",
    ]
    .into_iter()
    .map(|n| (n, Vec::with_capacity(trials)))
    .collect();
    fn timed(samples: &mut Vec<f64>, f: impl FnOnce() -> Result<Vec<i128>>) -> Result<Vec<i128>> {
        let t = Instant::now();
        let out = f()?;
        samples.push(t.elapsed().as_secs_f64());
        Ok(out)
    }
    for _ in 0..trials {
        let x: Vec<i128> = (0..OPS_DIM)
            .map(|_| rng.random_range(-bound..=bound))
            .collect();
        let y: Vec<i128> = (0..OPS_DIM)
            .map(|_| rng.random_range(-bound..=bound))
            .collect();
        let t = Instant::now();
        let cx = sk.encrypt(&x, &mut rng)?;
        times[0].1.push(t.elapsed().as_secs_f64());
        let cy = sk.encrypt(&y, &mut rng)?;
        let dx = timed(&mut times[1].1, || Ok(sk.decrypt(&cx)?))?;
        let sum = timed(&mut times[2].1, || Ok(sk.decrypt(&cx.add(&cy)?)?))?;
        let switched = timed(&mut times[3].1, || Ok(sk2.decrypt(&switch.apply(&cx)?)?))?;
        let gx = timed(&mut times[4].1, || Ok(sk2.decrypt(&linear.apply(&cx)?)?))?;
        let ip = timed(
            &mut times[5].1,
            || Ok(sk1.decrypt(&inner.apply(&cx, &cy)?)?),
        )?;
        let wip = timed(&mut times[6].1, || {
            Ok(sk1.decrypt(&weighted.apply(&cx, &cy)?)?)
        })?;
        let want_sum: Vec<i128> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
        let want_gx: Vec<i128> = g
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&x)
                    .map(|(&gi, xi)| i128::from(gi) * xi)
                    .sum()
            })
            .collect();
        let want_ip: i128 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
        let want_wip: i128 = (0..OPS_DIM)
            .map(|i| {
                (0..OPS_DIM)
                    .map(|j| x[i] * i128::from(h[i][j]) * y[j])
                    .sum::<i128>()
            })
            .sum();
        for ok in [
            dx == x,
            sum == want_sum,
            switched == x,
            gx == want_gx,
            ip == [want_ip],
            wip == [want_wip],
        ] {
            mismatches += usize::from(!ok);
        }
    }
    rec.measure(
        "sk_ops",
        "ops_mismatches",
        MetricKind::Error,
        mismatches as f64,
        "count",
    )
    .note = format!(
        "{trials} random 8-vectors with entries up to 2^18: decrypt(encrypt(x)), x + y, key switching, G x (G in [-8, 8]), <x, y> and x^T H y (H in [-4, 4]) against plaintext integer arithmetic"
    );
    for (name, samples) in &mut times {
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        rec.measure(
            "sk_ops",
            &format!("{name}_us"),
            MetricKind::Time,
            median * 1e6,
            "us",
        )
        .note = format!("median over {trials} calls, vectors of {OPS_DIM} integers");
    }
    // The scheme is broken: the secret key from the public encryption key.
    let ek = sk.encryption_key(&mut rng)?;
    let t = Instant::now();
    let recovered = recover_secret_key(&ek);
    let attack_s = t.elapsed().as_secs_f64();
    let x: Vec<i128> = (0..OPS_DIM as i128).map(|i| 1000 * i - 3).collect();
    let cx = sk.encrypt(&x, &mut rng)?;
    let broken = recovered
        .as_ref()
        .is_ok_and(|k| k.decrypt(&cx).is_ok_and(|d| d == x));
    rec.measure(
        "attack",
        "attack_key_recovered",
        MetricKind::Info,
        f64::from(u8::from(broken)),
        "",
    )
    .note = "1: the secret key recovered from the public encryption key alone decrypts a fresh ciphertext (Bogos, Gaspoz, Vaudenay 2018)".into();
    rec.measure(
        "attack",
        "attack_ms",
        MetricKind::Info,
        attack_s * 1e3,
        "ms",
    )
    .note = "time to recover the key".into();
    Ok(())
}

/// The train reviews in Trask's order as `reviews.txt` lines, their labels,
/// and how many labels disagree with Trask's `labels.txt`.
fn trask_reviews(
    ctx: &super::Context,
    dataset: &str,
    n: usize,
) -> Result<(Vec<String>, Vec<bool>, usize)> {
    let reviews = load_imdb_reviews(ctx.data, dataset, Some(ImdbSplit::Train))
        .with_context(|| format!("loading the {dataset} train reviews"))?;
    let order = trask_order(&reviews)?;
    let take = n.min(order.len());
    let lines: Vec<String> = order[..take]
        .iter()
        .map(|&i| trask_line(&reviews[i].text))
        .collect();
    let labels: Vec<bool> = order[..take]
        .iter()
        .map(|&i| reviews[i].sentiment == Sentiment::Positive)
        .collect();
    let trask = load_trask_labels(ctx.data).context("loading Trask's labels.txt")?;
    let disagree = labels
        .iter()
        .zip(&trask)
        .filter(|(a, b)| **a != (**b == Sentiment::Positive))
        .count()
        + take.saturating_sub(trask.len());
    Ok((lines, labels, disagree))
}

fn record_run(rec: &mut super::Recorder, stage: &str, r: &TrainResult, main: bool) {
    if main {
        rec.measure(
            stage,
            &format!("{stage}_correct"),
            MetricKind::Quality,
            r.correct as f64,
            "reviews",
        )
        .note = format!(
            "reviews counted correct while training ({} reviews, online)",
            r.reviews
        );
        rec.measure(
            stage,
            &format!("{stage}_accuracy"),
            MetricKind::Quality,
            100.0 * r.accuracy,
            "%",
        );
        rec.measure(
            stage,
            &format!("{stage}_train_s"),
            MetricKind::Time,
            r.elapsed_s,
            "s",
        )
        .note = "one online pass over the reviews".into();
        rec.measure(
            stage,
            &format!("{stage}_reviews_per_s"),
            MetricKind::Rate,
            r.reviews_per_s,
            "reviews/s",
        );
        if r.setup_s > 0.0 {
            rec.measure(
                stage,
                &format!("{stage}_setup_s"),
                MetricKind::Info,
                r.setup_s,
                "s",
            )
            .note = "key generation and encryption of the initial weights".into();
        }
        for p in &r.curve {
            rec.series(
                stage,
                &format!("{stage}_running_accuracy"),
                p.reviews as i64,
                100.0 * p.accuracy,
                "%",
            );
        }
        for op in &r.ops {
            let name: String = op
                .name
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            rec.measure(
                stage,
                &format!("{stage}_op_{name}_us"),
                MetricKind::Info,
                op.mean_s() * 1e6,
                "us",
            )
            .note = format!("{} calls, {:.3} s in total", op.count, op.total_s);
        }
    }
}

pub fn run(
    spec: &crate::spec::Spec,
    ctx: &super::Context,
    rec: &mut super::Recorder,
) -> Result<super::Outcome> {
    let settings = spec.settings(ctx.profile);
    let Scheme::IntVec { params } = &settings.scheme else {
        bail!(
            "kind sk-imdb needs engine intvec, got {}",
            settings.scheme.engine()
        );
    };
    let Some(baseline) = &spec.baseline else {
        bail!("kind sk-imdb needs a `baseline` (model trask-sentiment)");
    };
    ensure!(
        baseline.model == BaselineModel::TraskSentiment,
        "kind sk-imdb trains baseline model trask-sentiment"
    );
    let dataset = spec.dataset.as_ref().map_or("imdb", |d| d.name.as_str());
    rec.set_scheme(
        "intvec",
        serde_json::to_string(&params.literal())?,
        "insecure: reproduction only".into(),
    );
    ctx.progress
        .println("  SK-ops: the scheme's operations against integer arithmetic");
    check_operations(rec, params, settings.repeats.unwrap_or(200), spec.seed)?;

    let n = settings.train_samples.unwrap_or(25_000);
    ctx.progress
        .println(format!("  regenerating {n} reviews in Trask's order"));
    let (lines, labels, disagree) = trask_reviews(ctx, dataset, n)?;
    rec.set_scheme("plaintext", "{}".into(), "n/a".into());
    rec.measure(
        "data",
        "label_disagreements",
        MetricKind::Error,
        disagree as f64,
        "count",
    )
    .note = "labels of the regenerated reviews (Trask's order) that differ from Trask's labels.txt"
        .into();
    let data = PreparedData::new(&lines, &labels, TRASK_MIN_COUNT, TRASK_POLARITY_CUTOFF)?;
    rec.measure(
        "data",
        "vocabulary",
        MetricKind::Info,
        data.stats.vocab_size as f64,
        "words",
    )
    .note = format!(
        "words counted more than {TRASK_MIN_COUNT} times with |polarity| >= {TRASK_POLARITY_CUTOFF} ({} distinct tokens, {} empty reviews)",
        data.stats.distinct_tokens, data.stats.empty_reviews
    );
    let hidden = baseline.layers.get(1).copied().unwrap_or(8);
    let seeds = settings.seeds.max(1);
    let mut plain_correct = Vec::new();
    let mut pp_correct = Vec::new();
    for s in 0..seeds {
        let seed = spec.seed + s as u64;
        rec.set_seed(seed);
        let net = NetConfig {
            hidden,
            learning_rate: baseline.learning_rate,
            seed,
            sample_every: (n / 100).max(100),
        };
        rec.set_scheme("plaintext", "{}".into(), "n/a".into());
        let bar = ctx.progress.bar(n as u64, format!("Non PP, seed {seed}"));
        let plain = train_plain(&data, &net, Some(&mut |i| bar.set_position(i as u64)))?;
        bar.finish_and_clear();
        record_run(rec, "nonpp", &plain, s == 0);
        plain_correct.push(plain.correct as f64);
        rec.set_scheme(
            "intvec",
            serde_json::to_string(&params.literal())?,
            "insecure: reproduction only".into(),
        );
        let pp = PpConfig {
            variant: PpVariant::Trask,
            scale: 1000,
            params: params.literal(),
            key_seed: None,
        };
        let bar = ctx
            .progress
            .bar(n as u64, format!("PP (encrypted weights), seed {seed}"));
        let enc = train_pp(
            &data,
            &net,
            &pp,
            PpArithmetic::Encrypted,
            Some(&mut |i| bar.set_position(i as u64)),
        )?;
        bar.finish_and_clear();
        record_run(rec, "pp", &enc, s == 0);
        pp_correct.push(enc.correct as f64);
        if s == 0 {
            // Beyond the paper: the network Trask meant (real output error,
            // the sigmoid's odd Taylor terms), encrypted the same way.
            let fixed = PpConfig {
                variant: PpVariant::Corrected,
                ..pp
            };
            let corrected = train_pp(&data, &net, &fixed, PpArithmetic::Encrypted, None)?;
            record_run(rec, "ppfix", &corrected, true);
        }
    }
    for (stage, values) in [("nonpp", &plain_correct), ("pp", &pp_correct)] {
        let mut v = values.clone();
        v.sort_by(f64::total_cmp);
        for (what, x) in [
            ("min", v[0]),
            ("median", v[v.len() / 2]),
            ("max", v[v.len() - 1]),
        ] {
            rec.measure(
                stage,
                &format!("{stage}_correct_{what}"),
                MetricKind::Info,
                x,
                "reviews",
            )
            .note = format!("over {} seeds of the initial weights", v.len());
        }
    }
    Ok(super::Outcome {
        security: "insecure: reproduction only".into(),
        warnings: vec![SECURITY_WARNING.to_string()],
    })
}
