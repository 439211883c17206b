//! Key recovery from the public key. Bogos, Gaspoz and Vaudenay (Cryptography and
//! Communications 2018; ePrint 2016/775) break the scheme in general; this is a simpler
//! attack, enough for the parameters used here, that shows the public key alone gives the
//! secret key away.
//!
//! The public encryption key is the key-switching matrix from the identity,
//! `M = [I* − T A + E; A]` (equation 8), where `I*` (the digit weights of the identity) is
//! public. Subtracting it leaves, for every row `r` of `T`, the learning-with-errors samples
//! `R_r = −T_r A + E_r (mod q)` with the tiny secret dimension `t_columns` (1 in Trask's
//! code) and errors bounded by `e_bound`. Choosing `t_columns` columns `J` of `A` that are
//! invertible modulo `q` and guessing the `(2 e_bound + 1)^t_columns` possible errors on
//! them gives `T_r = −(R_r,J − E_r,J) A_J⁻¹`; the right guess is the one for which every
//! other column leaves a residual of at most `e_bound`. Nothing limits the entries of `T`
//! for this to work: the weakness is the small dimension, not the small key.

use super::arith::center;
use super::error::{IntVecError, Result};
use super::keys::SecretKey;
use super::ops::EncryptionKey;

/// Largest number of error guesses tried per row.
const MAX_GUESSES: u128 = 1 << 24;
/// Columns used to confirm a guess.
const CHECK_COLUMNS: usize = 48;

/// Recovers the secret key behind a public encryption key. The returned key decrypts every
/// ciphertext made under the original one (it has the same id).
pub fn recover_secret_key(ek: &EncryptionKey) -> Result<SecretKey> {
    let m = ek.matrix();
    let p = m.params;
    let k = p.t_columns();
    let dim = m.out_dim;
    let l = p.digits() as usize;
    let bits = p.digit_bits();
    let mask = p.mask();
    let lq = p.log2_q();
    let eb = p.e_bound() as i128;
    let guesses = (2 * p.e_bound() as u128 + 1).checked_pow(k as u32);
    if guesses.is_none_or(|g| g > MAX_GUESSES) {
        return Err(IntVecError::AttackFailed {
            reason: format!(
                "(2·{} + 1)^{k} error guesses per row is more than this demonstration tries",
                p.e_bound()
            ),
        });
    }
    let cols = m.columns();
    // Column `col = j·l + d` of the top block holds I*_{r,col} = [r == j]·2^(bits·d).
    let known = |r: usize, col: usize| -> u128 {
        let (j, d) = (col / l, col % l);
        if r == j {
            (1u128 << (bits * d as u32)) & mask
        } else {
            0
        }
    };
    let a_of = |c: usize, col: usize| m.column(col)[dim + c];
    // Pick k columns whose k×k block of A is invertible modulo 2 (hence modulo q = 2^e).
    let chosen =
        pick_invertible_columns(k, cols, &a_of).ok_or_else(|| IntVecError::AttackFailed {
            reason: "no invertible block of A".to_string(),
        })?;
    let a_j: Vec<Vec<u128>> = (0..k)
        .map(|c| chosen.iter().map(|&col| a_of(c, col)).collect())
        .collect();
    let inv = invert_mod_pow2(&a_j, mask).ok_or_else(|| IntVecError::AttackFailed {
        reason: "singular block".to_string(),
    })?;
    let checks: Vec<usize> = (0..cols)
        .filter(|c| !chosen.contains(c))
        .take(CHECK_COLUMNS)
        .collect();
    let mut t = vec![0i64; dim * k];
    for r in 0..dim {
        let resid = |col: usize| m.column(col)[r].wrapping_sub(known(r, col)) & mask;
        let rj: Vec<u128> = chosen.iter().map(|&col| resid(col)).collect();
        let mut found = None;
        let mut guess = vec![-eb; k];
        'search: loop {
            // T_r = −(R_J − E_J) A_J⁻¹ (row vector times matrix).
            let lhs: Vec<u128> = rj
                .iter()
                .zip(&guess)
                .map(|(&x, &e)| x.wrapping_sub(e as u128).wrapping_neg() & mask)
                .collect();
            let tr: Vec<u128> = (0..k)
                .map(|c| {
                    (0..k).fold(0u128, |acc, i| {
                        acc.wrapping_add(lhs[i].wrapping_mul(inv[i][c]))
                    }) & mask
                })
                .collect();
            let ok = checks.iter().all(|&col| {
                let mut v = resid(col);
                for (c, &tc) in tr.iter().enumerate() {
                    v = v.wrapping_add(tc.wrapping_mul(a_of(c, col)));
                }
                center(v & mask, lq).abs() <= eb
            });
            if ok {
                found = Some(tr);
                break 'search;
            }
            // Next error guess (odometer over [-eb, eb]^k).
            let mut i = 0;
            loop {
                if i == k {
                    break 'search;
                }
                if guess[i] < eb {
                    guess[i] += 1;
                    break;
                }
                guess[i] = -eb;
                i += 1;
            }
        }
        let tr = found.ok_or_else(|| IntVecError::AttackFailed {
            reason: format!("no error guess fits row {r}"),
        })?;
        for (c, v) in tr.into_iter().enumerate() {
            let v = center(v, lq);
            t[r * k + c] = i64::try_from(v).map_err(|_| IntVecError::AttackFailed {
                reason: format!("recovered entry {v} does not fit i64"),
            })?;
        }
    }
    Ok(SecretKey::from_parts(&p, ek.key_id(), dim, t))
}

/// Greedy choice of `k` columns whose block is invertible modulo 2.
fn pick_invertible_columns(
    k: usize,
    cols: usize,
    a_of: &impl Fn(usize, usize) -> u128,
) -> Option<Vec<usize>> {
    // Row-reduce the parity bits of candidate columns (each a k-bit vector).
    let mut basis: Vec<(u32, usize)> = Vec::new(); // (reduced vector, column)
    for col in 0..cols {
        let mut v: u32 = (0..k).fold(0, |acc, c| acc | (((a_of(c, col) & 1) as u32) << c));
        for &(b, _) in &basis {
            let lead = 31 - b.leading_zeros();
            if v >> lead & 1 == 1 {
                v ^= b;
            }
        }
        if v != 0 {
            basis.push((v, col));
            basis.sort_by_key(|&(b, _)| std::cmp::Reverse(b));
            if basis.len() == k {
                let mut chosen: Vec<usize> = basis.iter().map(|&(_, c)| c).collect();
                chosen.sort_unstable();
                return Some(chosen);
            }
        }
    }
    None
}

/// Inverse of a `k × k` matrix modulo `q = mask + 1`, a power of two, by Gauss–Jordan
/// elimination with odd pivots.
fn invert_mod_pow2(a: &[Vec<u128>], mask: u128) -> Option<Vec<Vec<u128>>> {
    let k = a.len();
    let mut m: Vec<Vec<u128>> = a.to_vec();
    let mut inv: Vec<Vec<u128>> = (0..k)
        .map(|i| (0..k).map(|j| u128::from(i == j)).collect())
        .collect();
    for col in 0..k {
        let piv = (col..k).find(|&r| m[r][col] & 1 == 1)?;
        m.swap(col, piv);
        inv.swap(col, piv);
        let f = inv_odd(m[col][col], mask);
        for j in 0..k {
            m[col][j] = m[col][j].wrapping_mul(f) & mask;
            inv[col][j] = inv[col][j].wrapping_mul(f) & mask;
        }
        for r in 0..k {
            if r != col && m[r][col] != 0 {
                let g = m[r][col];
                for j in 0..k {
                    m[r][j] = m[r][j].wrapping_sub(g.wrapping_mul(m[col][j])) & mask;
                    inv[r][j] = inv[r][j].wrapping_sub(g.wrapping_mul(inv[col][j])) & mask;
                }
            }
        }
    }
    Some(inv)
}

/// Inverse of an odd number modulo a power of two (Newton iteration, 7 steps reach 2^128).
fn inv_odd(a: u128, mask: u128) -> u128 {
    let mut x: u128 = 1;
    for _ in 0..7 {
        x = x.wrapping_mul(2u128.wrapping_sub(a.wrapping_mul(x)));
    }
    x & mask
}
