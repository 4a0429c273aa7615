//! Smaller versions of a [`Model`], for a greedy shrinker: every variant
//! renders to a well-typed model (references resolve against what is in
//! scope when rendered), so a shrinker may take any of them.

use super::{Kind, Model, Stmt};

/// Smaller versions of a block: one statement removed, a compound statement
/// replaced by one of its blocks, a `select` arm removed, an `else` dropped,
/// or a smaller version of a nested block.
pub fn block_variants(b: &[Stmt]) -> Vec<Vec<Stmt>> {
    let mut out = Vec::new();
    for i in 0..b.len() {
        let mut c = b.to_vec();
        c.remove(i);
        out.push(c);
    }
    for i in 0..b.len() {
        for inner in b[i].blocks() {
            let mut c = b.to_vec();
            c.splice(i..=i, inner.iter().cloned());
            out.push(c);
        }
        if let Stmt::Select(arms) = &b[i] {
            if arms.len() > 1 {
                for k in 0..arms.len() {
                    let mut c = b.to_vec();
                    let mut fewer = arms.clone();
                    fewer.remove(k);
                    c[i] = Stmt::Select(fewer);
                    out.push(c);
                }
            }
        }
        if let Stmt::If(cond, then, els) = &b[i] {
            if !els.is_empty() {
                let mut c = b.to_vec();
                c[i] = Stmt::If(cond.clone(), then.clone(), vec![]);
                out.push(c);
            }
        }
        let n = b[i].blocks().len();
        for k in 0..n {
            for v in block_variants(b[i].blocks()[k]) {
                let mut c = b.to_vec();
                *c[i].blocks_mut()[k] = v;
                out.push(c);
            }
        }
    }
    out
}

/// Smaller versions of a process kind: fewer rounds, no deadline, a smaller body.
fn kind_variants(k: &Kind) -> Vec<Kind> {
    let mut out = Vec::new();
    if k.rounds > 1 {
        out.push(Kind { rounds: 1, ..k.clone() });
        out.push(Kind { rounds: k.rounds / 2, ..k.clone() });
    }
    if k.deadline.is_some() {
        out.push(Kind { deadline: None, ..k.clone() });
    }
    for body in block_variants(&k.body) {
        out.push(Kind { body, ..k.clone() });
    }
    out
}

impl Model {
    /// Smaller versions of the model, roughly the biggest cuts first.
    pub fn variants(&self) -> Vec<Model> {
        let mut out = Vec::new();
        let m = self;
        for w in 0..m.workers.len() {
            if m.workers.len() > 1 {
                let mut c = m.clone();
                c.workers.remove(w);
                out.push(c);
            }
        }
        for v in 0..m.victims.len() {
            let mut c = m.clone();
            c.victims.remove(v);
            out.push(c);
        }
        if m.ticker.is_some() {
            out.push(Model { ticker: None, ..m.clone() });
        }
        for h in 0..m.helpers.len() {
            let mut c = m.clone();
            c.helpers.remove(h);
            out.push(c);
        }
        if m.horizon.is_some() {
            out.push(Model { horizon: None, ..m.clone() });
        }
        if m.fault.is_some() {
            out.push(Model { fault: None, ..m.clone() });
        }
        if m.locks.len() > 1 {
            let mut c = m.clone();
            c.locks.pop();
            out.push(c);
        }
        if m.n > 1 {
            out.push(Model { n: 1, ..m.clone() });
        }
        if let Some(t) = &m.ticker {
            if t.count > 1 {
                let mut c = m.clone();
                c.ticker.as_mut().unwrap().count = t.count / 2;
                out.push(c);
            }
            for body in block_variants(&t.body) {
                let mut c = m.clone();
                c.ticker.as_mut().unwrap().body = body;
                out.push(c);
            }
        }
        for (w, k) in m.workers.iter().enumerate() {
            for v in kind_variants(k) {
                let mut c = m.clone();
                c.workers[w] = v;
                out.push(c);
            }
        }
        for (i, (k, killers)) in m.victims.iter().enumerate() {
            if killers.len() > 1 {
                let mut c = m.clone();
                c.victims[i].1.pop();
                out.push(c);
            }
            for v in kind_variants(k) {
                let mut c = m.clone();
                c.victims[i].0 = v;
                out.push(c);
            }
        }
        for (h, k) in m.helpers.iter().enumerate() {
            for v in kind_variants(k) {
                let mut c = m.clone();
                c.helpers[h] = v;
                out.push(c);
            }
        }
        out
    }

    /// A measure of size for reports: statements in all bodies.
    pub fn size(&self) -> usize {
        fn count(b: &[Stmt]) -> usize {
            b.iter().map(|s| 1 + s.blocks().iter().map(|b| count(b)).sum::<usize>()).sum()
        }
        let kinds = self.workers.iter().chain(self.victims.iter().map(|(k, _)| k)).chain(&self.helpers);
        kinds.map(|k| count(&k.body)).sum::<usize>() + self.ticker.as_ref().map_or(0, |t| count(&t.body))
    }
}
