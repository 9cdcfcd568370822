//! Randomness owned by this module.
//!
//! The sample data doubles as a regression fixture, so a seed must produce the same bytes on every
//! platform, toolchain and dependency version. That rules out `rand` (whose algorithms may change between
//! releases) and anything platform-dependent such as `powf`; everything here is integer arithmetic or exact
//! IEEE multiplication.

/// xoshiro256**: fast, small, statistically good enough for test data, and fully specified.
pub struct Rng {
    s: [u64; 4],
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijective 64-bit mixer; Feistel rounds need a keyed function, not an invertible one, but a good
/// avalanche keeps neighbouring counters from producing neighbouring outputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    z = (z ^ (z >> 33)).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    z ^ (z >> 33)
}

impl Rng {
    /// Independent streams per purpose, so that adding a draw in one part of the generator does not shift
    /// every value produced by another part.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut st = seed ^ mix(stream.wrapping_add(0x5851_F42D_4C95_7F2D));
        let s = [splitmix(&mut st), splitmix(&mut st), splitmix(&mut st), splitmix(&mut st)];
        Rng { s }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` by multiply-shift; the bias (< n / 2^64) is irrelevant here and it is branch-free.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub fn idx(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Inclusive, because date and number ranges in the domain are stated inclusively.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.idx(xs.len())]
    }

    /// Index biased towards the front of a list ordered by commonness (density 2(1-x)), which gives pools
    /// a realistic head of frequent values without a weight table.
    pub fn skewed(&mut self, n: usize) -> usize {
        self.idx(n).min(self.idx(n))
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.idx(i + 1);
            xs.swap(i, j);
        }
    }
}

/// Cumulative weights for the few pools whose real-world distribution matters (surnames, cities).
pub struct Weighted {
    cum: Vec<u32>,
}

impl Weighted {
    pub fn new(weights: impl IntoIterator<Item = u32>) -> Weighted {
        let mut total = 0u32;
        let cum = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cum }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cum.last().expect("weighted pool is empty");
        let x = rng.below(u64::from(total)) as u32;
        self.cum.partition_point(|&c| c <= x)
    }
}

/// A keyed permutation of `0..n` (Feistel network with cycle walking).
///
/// Phone numbers, QQ numbers and entity ids must be unique yet look random; drawing them at random would
/// need a set of everything issued so far (memory grows with N) and would still collide by the birthday
/// bound. Permuting a counter gives both properties in O(1) memory.
pub struct Perm {
    n: u64,
    half: u32,
    keys: [u64; 4],
}

impl Perm {
    pub fn new(n: u64, rng: &mut Rng) -> Perm {
        let n = n.max(1);
        let bits = 64 - (n.max(4) - 1).leading_zeros();
        let half = bits.div_ceil(2);
        let keys = [rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64()];
        Perm { n, half, keys }
    }

    pub fn get(&self, x: u64) -> u64 {
        let mut x = x % self.n;
        loop {
            x = self.round(x);
            if x < self.n {
                return x;
            }
        }
    }

    fn round(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half) - 1;
        let (mut l, mut r) = (x >> self.half, x & mask);
        for k in self.keys {
            let f = mix(r ^ k) & mask;
            (l, r) = (r, l ^ f);
        }
        (l << self.half) | r
    }
}
