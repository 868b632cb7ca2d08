//! Temperature scaling and calibration error.
//!
//! Why temperature scaling: one parameter per language cannot change which
//! label wins (accuracy and F1 are untouched) but makes "0.9" mean "right
//! about nine times in ten" on held-out data, which callers need to choose a
//! threshold. Fitted by minimising the negative log-likelihood on the dev
//! split (golden-section search over log T: the NLL is unimodal in T).

/// One scored example: logits over the allowed labels and the gold index.
#[derive(Clone, Debug)]
pub struct Scored {
    pub logits: Vec<f32>,
    pub gold: usize,
}

fn softmax_t(logits: &[f32], t: f32, out: &mut Vec<f32>) {
    out.clear();
    let mx = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b / t));
    let mut s = 0.0f32;
    for &l in logits {
        let e = (l / t - mx).exp();
        out.push(e);
        s += e;
    }
    if s > 0.0 {
        out.iter_mut().for_each(|v| *v /= s);
    }
}

/// Mean negative log-likelihood at temperature `t`.
pub fn nll(data: &[Scored], t: f32) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut p = Vec::new();
    let mut sum = 0.0f64;
    for d in data {
        softmax_t(&d.logits, t, &mut p);
        let pg = p.get(d.gold).copied().unwrap_or(0.0).max(1e-12);
        sum -= (pg as f64).ln();
    }
    sum / data.len() as f64
}

/// The NLL-minimising temperature in [0.05, 20] (1.0 for no data).
pub fn fit_temperature(data: &[Scored]) -> f32 {
    if data.is_empty() {
        return 1.0;
    }
    let (mut a, mut b) = ((0.05f64).ln(), (20.0f64).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let f = |x: f64| nll(data, x.exp() as f32);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    (((a + b) / 2.0).exp()) as f32
}

/// Expected calibration error of the top-1 confidence, `bins` equal-width
/// bins: Σ_b |acc_b − conf_b| · n_b / n.
pub fn ece(data: &[Scored], t: f32, bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut n = vec![0usize; bins];
    let mut conf = vec![0.0f64; bins];
    let mut hit = vec![0.0f64; bins];
    let mut p = Vec::new();
    for d in data {
        softmax_t(&d.logits, t, &mut p);
        let (arg, pmax) = p
            .iter()
            .enumerate()
            .fold((0usize, f32::NEG_INFINITY), |acc, (i, &v)| {
                if v > acc.1 {
                    (i, v)
                } else {
                    acc
                }
            });
        let b = ((pmax as f64 * bins as f64) as usize).min(bins - 1);
        if let (Some(nb), Some(cb), Some(hb)) = (n.get_mut(b), conf.get_mut(b), hit.get_mut(b)) {
            *nb += 1;
            *cb += pmax as f64;
            *hb += (arg == d.gold) as u8 as f64;
        }
    }
    let total = data.len().max(1) as f64;
    n.iter()
        .zip(conf.iter().zip(&hit))
        .filter(|(&k, _)| k > 0)
        .map(|(&k, (&c, &h))| (h / k as f64 - c / k as f64).abs() * k as f64 / total)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overconfident_logits_get_t_above_one() {
        // 70% right, but logits say ~99.99%.
        let mut data = Vec::new();
        for i in 0..100 {
            let gold = if i % 10 < 7 { 0 } else { 1 };
            data.push(Scored {
                logits: vec![10.0, 0.0],
                gold,
            });
        }
        let t = fit_temperature(&data);
        assert!(t > 2.0, "t = {t}");
        assert!(ece(&data, t, 10) < ece(&data, 1.0, 10));
        assert!(nll(&data, t) < nll(&data, 1.0));
    }
}
