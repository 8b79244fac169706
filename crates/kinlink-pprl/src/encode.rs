//! Keyed Bloom-filter encodings (CLKs) of records.

use hmac::Mac;
use kinlink_match::link::MatchRecord;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::PprlError;
use crate::compare::EncodingSet;
use crate::features::{Feature, for_each_token};
use crate::secret::LinkageKey;

/// Longest filter accepted (bits).
const MAX_BITS: usize = 65_536;

/// Hardening of the filter against frequency and pattern-mining attacks
/// (see ARCHITECTURE.md, "Privacy-preserving linkage", for the choice).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hardening {
    /// The plain keyed filter.
    None,
    /// BLIP (Schnell and Borgs 2016, after Alaggan et al.): every bit is
    /// flipped with probability `flip_probability`, as *permanent*
    /// randomised response: the noise is drawn from a stream keyed by the
    /// agreement's noise key and seeded by the record's own filter, so
    /// encoding the same record again gives the same bits and repeated
    /// queries cannot be averaged to remove it.
    Blip {
        /// Probability that a bit is flipped, in [0, 0.5).
        flip_probability: f64,
    },
}

/// How records are encoded: filter length, the number of hash functions
/// (bits set per token) of each [`Feature`], which weighs it, and the
/// hardening. Both nodes of an agreement must use the same schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    bits: usize,
    k: [u8; Feature::COUNT],
    hardening: Hardening,
}

impl Default for Schema {
    /// 1024 bits; weights chosen on the demo data and FEBRL4 (bench/RESULTS.md,
    /// "Privacy-preserving linkage"); BLIP with flip probability 0.02.
    fn default() -> Schema {
        let mut k = [0u8; Feature::COUNT];
        for (f, w) in [
            (Feature::NameBigram, 1),
            (Feature::SkeletonBigram, 4),
            (Feature::NameSkeleton, 16),
            (Feature::NamePhonetic, 2),
            (Feature::Given, 24),
            (Feature::BirthYear, 12),
            (Feature::BirthWindow, 8),
            (Feature::BirthMonth, 10),
            (Feature::BirthDay, 12),
            (Feature::Sex, 6),
            (Feature::Country, 4),
            (Feature::Origin, 4),
            (Feature::Parents, 16),
            (Feature::Document, 4),
            (Feature::Address, 4),
        ] {
            k[f as usize] = w;
        }
        Schema {
            bits: 1024,
            k,
            hardening: Hardening::Blip {
                flip_probability: 0.02,
            },
        }
    }
}

impl Schema {
    /// The default weights with a filter of `bits` bits (a positive multiple of 64).
    pub fn with_bits(bits: usize) -> Result<Schema, PprlError> {
        if bits == 0 || !bits.is_multiple_of(64) || bits > MAX_BITS {
            return Err(PprlError::BadLength(bits));
        }
        Ok(Schema {
            bits,
            ..Schema::default()
        })
    }

    /// Sets the number of bits each token of `feature` sets (0 leaves the feature out).
    pub fn weight(mut self, feature: Feature, k: u8) -> Schema {
        self.k[feature as usize] = k;
        self
    }

    /// Sets the hardening.
    pub fn hardening(mut self, hardening: Hardening) -> Result<Schema, PprlError> {
        if let Hardening::Blip { flip_probability } = hardening
            && !(0.0..0.5).contains(&flip_probability)
        {
            return Err(PprlError::BadFlipProbability);
        }
        self.hardening = hardening;
        Ok(self)
    }

    /// Filter length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Bits set per token of `feature`.
    pub fn k(&self, feature: Feature) -> u8 {
        self.k[feature as usize]
    }

    /// The hardening applied.
    pub fn hardening_kind(&self) -> Hardening {
        self.hardening
    }
}

/// One record's encoding: a bit vector of the schema's length, bit `i` in
/// word `i / 64` at position `i % 64`. It is personal data (it can be
/// compared with other encodings of the same agreement): handle it as such.
/// `Debug` shows the length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Clk {
    words: Box<[u64]>,
}

impl std::fmt::Debug for Clk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clk({} bits)", self.bits())
    }
}

impl Clk {
    /// An all-zero encoding of `bits` bits.
    pub fn zeros(bits: usize) -> Result<Clk, PprlError> {
        if bits == 0 || !bits.is_multiple_of(64) || bits > MAX_BITS {
            return Err(PprlError::BadLength(bits));
        }
        Ok(Clk {
            words: vec![0; bits / 64].into_boxed_slice(),
        })
    }

    /// From its words.
    pub fn from_words(words: Vec<u64>) -> Result<Clk, PprlError> {
        let bits = words.len() * 64;
        if words.is_empty() || bits > MAX_BITS {
            return Err(PprlError::BadLength(bits));
        }
        Ok(Clk {
            words: words.into_boxed_slice(),
        })
    }

    /// From its wire form ([`Clk::to_bytes`]); `bits` is the schema's length.
    pub fn from_bytes(bytes: &[u8], bits: usize) -> Result<Clk, PprlError> {
        let mut clk = Clk::zeros(bits)?;
        if bytes.len() * 8 != bits {
            return Err(PprlError::LengthMismatch {
                expected: bits,
                got: bytes.len() * 8,
            });
        }
        for (w, chunk) in clk.words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
        }
        Ok(clk)
    }

    /// The wire form: the words, little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Length in bits.
    pub fn bits(&self) -> usize {
        self.words.len() * 64
    }

    /// The words.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Number of bits set.
    pub fn popcount(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    /// Whether bit `i` is set.
    pub fn bit(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    fn flip(&mut self, i: usize) {
        self.words[i / 64] ^= 1 << (i % 64);
    }
}

/// Encodes records under one agreement's key and a schema.
#[derive(Debug, Clone)]
pub struct Encoder {
    key: LinkageKey,
    schema: Schema,
}

impl Encoder {
    /// An encoder for `key` and `schema` (checked).
    pub fn new(key: LinkageKey, schema: Schema) -> Result<Encoder, PprlError> {
        Schema::with_bits(schema.bits)?;
        schema.clone().hardening(schema.hardening)?;
        Ok(Encoder { key, schema })
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The encoding of one record.
    ///
    /// Each token of feature `f` sets `k(f)` bits at positions drawn from
    /// HMAC-SHA256 under the feature's key: the 32-byte output gives eight
    /// 32-bit numbers, each reduced modulo the length (bias below 2⁻¹⁶);
    /// more than eight positions take further blocks, HMAC(token ‖ 0xFF ‖ n)
    /// (0xFF never occurs in UTF-8, so no token collides with another's
    /// block). Independent positions ("random hashing") rather than
    /// double hashing, whose structure Kroll and Steinmetzer's attack uses.
    pub fn encode(&self, record: &MatchRecord) -> Clk {
        let bits = self.schema.bits;
        let mut clk = Clk {
            words: vec![0; bits / 64].into_boxed_slice(),
        };
        for_each_token(record, &mut |feature, token| {
            let k = self.schema.k[feature as usize] as usize;
            let mut set = 0;
            let mut block = 0u8;
            while set < k {
                let mut mac = self.key.feature(feature).clone();
                mac.update(token);
                if block > 0 {
                    mac.update(&[0xFF, block]);
                }
                let out = mac.finalize().into_bytes();
                for chunk in out.chunks_exact(4).take(k - set) {
                    let v = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                    clk.set(v as usize % bits);
                    set += 1;
                }
                block = block.wrapping_add(1);
            }
        });
        if let Hardening::Blip { flip_probability } = self.schema.hardening
            && flip_probability > 0.0
        {
            let mut mac = self.key.noise().clone();
            mac.update(&clk.to_bytes());
            let seed: [u8; 32] = mac.finalize().into_bytes().into();
            let mut rng = ChaCha8Rng::from_seed(seed);
            // Compare a uniform u32 with p·2³²: one draw per bit.
            let threshold = (flip_probability * 4_294_967_296.0) as u64;
            for i in 0..bits {
                if u64::from(rng.random::<u32>()) < threshold {
                    clk.flip(i);
                }
            }
        }
        clk
    }

    /// The encodings of many records, in order, on all rayon threads.
    pub fn encode_all(&self, records: &[MatchRecord]) -> EncodingSet {
        let clks: Vec<Clk> = records.par_iter().map(|r| self.encode(r)).collect();
        let mut set = EncodingSet::new(self.schema.bits);
        for c in &clks {
            // Same schema, same length: cannot fail.
            set.push(c).expect("encodings of one schema have one length");
        }
        set
    }
}
