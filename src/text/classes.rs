//! The tokenizer's character-class table for U+0000–U+20FF, as runs written
//! out at build time instead of computed on the first call: filling it
//! through `char::is_alphabetic` & co. took ~9.4 M instructions (~1 ms) on
//! the first analysis of every process. The runs were printed from
//! `tokens::classify_slow`, which stays the reference: the test
//! `class_table_matches_classify_slow` compares every entry with it and
//! prints the up-to-date runs if a toolchain's Unicode data ever changes
//! one (then paste them here).

use super::tokens::Class::{self, *};

/// Length of the table: code points below this are classified by lookup.
pub(crate) const TABLE_LEN: usize = 0x2100;

/// `(first code point, class)` of each run, ascending; a run lasts until
/// the next one starts (the last until [`TABLE_LEN`]).
#[rustfmt::skip]
const RUNS: [(u32, Class); 781] = [
    (0x0000, Space), (0x0021, Punct), (0x0024, Symbol), (0x0025, Punct), (0x002B, Symbol),
    (0x002C, Punct), (0x0030, Digit), (0x003A, Punct), (0x003C, Symbol), (0x003F, Punct),
    (0x0041, Letter), (0x005B, Punct), (0x005E, Symbol), (0x005F, Punct), (0x0060, Symbol),
    (0x0061, Letter), (0x007B, Punct), (0x007C, Symbol), (0x007D, Punct), (0x007E, Symbol),
    (0x007F, Space), (0x00A1, Punct), (0x00A2, Symbol), (0x00A7, Punct), (0x00A8, Symbol),
    (0x00AA, Letter), (0x00AB, Punct), (0x00AC, Symbol), (0x00AD, Invisible), (0x00AE, Symbol),
    (0x00B2, Digit), (0x00B4, Symbol), (0x00B5, Letter), (0x00B6, Punct), (0x00B8, Symbol),
    (0x00B9, Digit), (0x00BA, Letter), (0x00BB, Punct), (0x00BC, Digit), (0x00BF, Punct),
    (0x00C0, Letter), (0x00D7, Symbol), (0x00D8, Letter), (0x00F7, Symbol), (0x00F8, Letter),
    (0x02C2, Symbol), (0x02C6, Letter), (0x02D2, Symbol), (0x02E0, Letter), (0x02E5, Symbol),
    (0x02EC, Letter), (0x02ED, Symbol), (0x02EE, Letter), (0x02EF, Symbol), (0x0300, Mark),
    (0x0345, Letter), (0x0346, Mark), (0x034F, Invisible), (0x0350, Mark), (0x0363, Letter),
    (0x0375, Symbol), (0x0376, Letter), (0x0378, Symbol), (0x037A, Letter), (0x037E, Punct),
    (0x037F, Letter), (0x0380, Symbol), (0x0386, Letter), (0x0387, Punct), (0x0388, Letter),
    (0x038B, Symbol), (0x038C, Letter), (0x038D, Symbol), (0x038E, Letter), (0x03A2, Symbol),
    (0x03A3, Letter), (0x03F6, Symbol), (0x03F7, Letter), (0x0482, Symbol), (0x0483, Mark),
    (0x048A, Letter), (0x0530, Symbol), (0x0531, Letter), (0x0557, Symbol), (0x0559, Letter),
    (0x055A, Punct), (0x0560, Letter), (0x0589, Punct), (0x058A, Symbol), (0x0591, Mark),
    (0x05B0, Letter), (0x05BE, Punct), (0x05BF, Letter), (0x05C0, Punct), (0x05C1, Letter),
    (0x05C3, Symbol), (0x05C4, Letter), (0x05C6, Symbol), (0x05C7, Letter), (0x05C8, Mark),
    (0x05CA, Symbol), (0x05D0, Letter), (0x05EB, Symbol), (0x05EF, Letter), (0x05F3, Punct),
    (0x05F5, Symbol), (0x0609, Punct), (0x060B, Symbol), (0x060C, Punct), (0x060E, Symbol),
    (0x0610, Mark), (0x061B, Punct), (0x061C, Symbol), (0x061D, Punct), (0x0620, Letter),
    (0x0640, Mark), (0x0641, Letter), (0x064B, Mark), (0x0660, Digit), (0x066A, Punct),
    (0x066E, Letter), (0x0670, Mark), (0x0671, Letter), (0x06D4, Punct), (0x06D5, Letter),
    (0x06D6, Mark), (0x06DD, Symbol), (0x06DF, Mark), (0x06E5, Letter), (0x06E7, Mark),
    (0x06E9, Symbol), (0x06EA, Mark), (0x06EE, Letter), (0x06F0, Digit), (0x06FA, Letter),
    (0x06FD, Symbol), (0x06FF, Letter), (0x0700, Symbol), (0x0710, Letter), (0x0740, Mark),
    (0x074B, Symbol), (0x074D, Letter), (0x07B2, Symbol), (0x07C0, Digit), (0x07CA, Letter),
    (0x07EB, Mark), (0x07F4, Letter), (0x07F6, Symbol), (0x07FA, Letter), (0x07FB, Symbol),
    (0x07FD, Mark), (0x07FE, Symbol), (0x0800, Letter), (0x0818, Mark), (0x081A, Letter),
    (0x082D, Mark), (0x082E, Symbol), (0x0840, Letter), (0x0859, Mark), (0x085C, Symbol),
    (0x0860, Letter), (0x086B, Symbol), (0x0870, Letter), (0x0888, Symbol), (0x0889, Letter),
    (0x0890, Symbol), (0x0897, Letter), (0x0898, Mark), (0x08A0, Letter), (0x08CA, Mark),
    (0x08D4, Letter), (0x08E0, Mark), (0x08E2, Symbol), (0x08E3, Letter), (0x08EA, Mark),
    (0x08F0, Letter), (0x093C, Mark), (0x093D, Letter), (0x094D, Mark), (0x094E, Letter),
    (0x0951, Mark), (0x0955, Letter), (0x0964, Punct), (0x0966, Digit), (0x0970, Symbol),
    (0x0971, Letter), (0x0984, Symbol), (0x0985, Letter), (0x098D, Symbol), (0x098F, Letter),
    (0x0991, Symbol), (0x0993, Letter), (0x09A9, Symbol), (0x09AA, Letter), (0x09B1, Symbol),
    (0x09B2, Letter), (0x09B3, Symbol), (0x09B6, Letter), (0x09BA, Symbol), (0x09BC, Mark),
    (0x09BD, Letter), (0x09C5, Symbol), (0x09C7, Letter), (0x09C9, Symbol), (0x09CB, Letter),
    (0x09CD, Mark), (0x09CE, Letter), (0x09CF, Symbol), (0x09D7, Letter), (0x09D8, Symbol),
    (0x09DC, Letter), (0x09DE, Symbol), (0x09DF, Letter), (0x09E4, Symbol), (0x09E6, Digit),
    (0x09F0, Letter), (0x09F2, Symbol), (0x09F4, Digit), (0x09FA, Symbol), (0x09FC, Letter),
    (0x09FD, Symbol), (0x09FE, Mark), (0x09FF, Symbol), (0x0A01, Letter), (0x0A04, Symbol),
    (0x0A05, Letter), (0x0A0B, Symbol), (0x0A0F, Letter), (0x0A11, Symbol), (0x0A13, Letter),
    (0x0A29, Symbol), (0x0A2A, Letter), (0x0A31, Symbol), (0x0A32, Letter), (0x0A34, Symbol),
    (0x0A35, Letter), (0x0A37, Symbol), (0x0A38, Letter), (0x0A3A, Symbol), (0x0A3C, Mark),
    (0x0A3D, Symbol), (0x0A3E, Letter), (0x0A43, Symbol), (0x0A47, Letter), (0x0A49, Symbol),
    (0x0A4B, Letter), (0x0A4D, Mark), (0x0A4E, Symbol), (0x0A51, Letter), (0x0A52, Symbol),
    (0x0A59, Letter), (0x0A5D, Symbol), (0x0A5E, Letter), (0x0A5F, Symbol), (0x0A66, Digit),
    (0x0A70, Letter), (0x0A76, Symbol), (0x0A81, Letter), (0x0A84, Symbol), (0x0A85, Letter),
    (0x0A8E, Symbol), (0x0A8F, Letter), (0x0A92, Symbol), (0x0A93, Letter), (0x0AA9, Symbol),
    (0x0AAA, Letter), (0x0AB1, Symbol), (0x0AB2, Letter), (0x0AB4, Symbol), (0x0AB5, Letter),
    (0x0ABA, Symbol), (0x0ABC, Mark), (0x0ABD, Letter), (0x0AC6, Symbol), (0x0AC7, Letter),
    (0x0ACA, Symbol), (0x0ACB, Letter), (0x0ACD, Mark), (0x0ACE, Symbol), (0x0AD0, Letter),
    (0x0AD1, Symbol), (0x0AE0, Letter), (0x0AE4, Symbol), (0x0AE6, Digit), (0x0AF0, Symbol),
    (0x0AF9, Letter), (0x0AFD, Mark), (0x0B00, Symbol), (0x0B01, Letter), (0x0B04, Symbol),
    (0x0B05, Letter), (0x0B0D, Symbol), (0x0B0F, Letter), (0x0B11, Symbol), (0x0B13, Letter),
    (0x0B29, Symbol), (0x0B2A, Letter), (0x0B31, Symbol), (0x0B32, Letter), (0x0B34, Symbol),
    (0x0B35, Letter), (0x0B3A, Symbol), (0x0B3C, Mark), (0x0B3D, Letter), (0x0B45, Symbol),
    (0x0B47, Letter), (0x0B49, Symbol), (0x0B4B, Letter), (0x0B4D, Mark), (0x0B4E, Symbol),
    (0x0B53, Mark), (0x0B56, Letter), (0x0B58, Symbol), (0x0B5C, Letter), (0x0B5E, Symbol),
    (0x0B5F, Letter), (0x0B64, Symbol), (0x0B66, Digit), (0x0B70, Symbol), (0x0B71, Letter),
    (0x0B72, Digit), (0x0B78, Symbol), (0x0B82, Letter), (0x0B84, Symbol), (0x0B85, Letter),
    (0x0B8B, Symbol), (0x0B8E, Letter), (0x0B91, Symbol), (0x0B92, Letter), (0x0B96, Symbol),
    (0x0B99, Letter), (0x0B9B, Symbol), (0x0B9C, Letter), (0x0B9D, Symbol), (0x0B9E, Letter),
    (0x0BA0, Symbol), (0x0BA3, Letter), (0x0BA5, Symbol), (0x0BA8, Letter), (0x0BAB, Symbol),
    (0x0BAE, Letter), (0x0BBA, Symbol), (0x0BBE, Letter), (0x0BC3, Symbol), (0x0BC6, Letter),
    (0x0BC9, Symbol), (0x0BCA, Letter), (0x0BCD, Mark), (0x0BCE, Symbol), (0x0BD0, Letter),
    (0x0BD1, Symbol), (0x0BD7, Letter), (0x0BD8, Symbol), (0x0BE6, Digit), (0x0BF3, Symbol),
    (0x0C00, Letter), (0x0C0D, Symbol), (0x0C0E, Letter), (0x0C11, Symbol), (0x0C12, Letter),
    (0x0C29, Symbol), (0x0C2A, Letter), (0x0C3A, Symbol), (0x0C3C, Mark), (0x0C3D, Letter),
    (0x0C45, Symbol), (0x0C46, Letter), (0x0C49, Symbol), (0x0C4A, Letter), (0x0C4D, Mark),
    (0x0C4E, Symbol), (0x0C55, Letter), (0x0C57, Symbol), (0x0C58, Letter), (0x0C5B, Symbol),
    (0x0C5C, Letter), (0x0C5E, Symbol), (0x0C60, Letter), (0x0C64, Symbol), (0x0C66, Digit),
    (0x0C70, Symbol), (0x0C78, Digit), (0x0C7F, Symbol), (0x0C80, Letter), (0x0C84, Symbol),
    (0x0C85, Letter), (0x0C8D, Symbol), (0x0C8E, Letter), (0x0C91, Symbol), (0x0C92, Letter),
    (0x0CA9, Symbol), (0x0CAA, Letter), (0x0CB4, Symbol), (0x0CB5, Letter), (0x0CBA, Symbol),
    (0x0CBC, Mark), (0x0CBD, Letter), (0x0CC5, Symbol), (0x0CC6, Letter), (0x0CC9, Symbol),
    (0x0CCA, Letter), (0x0CCD, Mark), (0x0CCE, Symbol), (0x0CD5, Letter), (0x0CD7, Symbol),
    (0x0CDC, Letter), (0x0CDF, Symbol), (0x0CE0, Letter), (0x0CE4, Symbol), (0x0CE6, Digit),
    (0x0CF0, Symbol), (0x0CF1, Letter), (0x0CF4, Symbol), (0x0D00, Letter), (0x0D0D, Symbol),
    (0x0D0E, Letter), (0x0D11, Symbol), (0x0D12, Letter), (0x0D3B, Mark), (0x0D3D, Letter),
    (0x0D45, Symbol), (0x0D46, Letter), (0x0D49, Symbol), (0x0D4A, Letter), (0x0D4D, Mark),
    (0x0D4E, Letter), (0x0D4F, Symbol), (0x0D54, Letter), (0x0D58, Digit), (0x0D5F, Letter),
    (0x0D64, Symbol), (0x0D66, Digit), (0x0D79, Symbol), (0x0D7A, Letter), (0x0D80, Symbol),
    (0x0D81, Letter), (0x0D84, Symbol), (0x0D85, Letter), (0x0D97, Symbol), (0x0D9A, Letter),
    (0x0DB2, Symbol), (0x0DB3, Letter), (0x0DBC, Symbol), (0x0DBD, Letter), (0x0DBE, Symbol),
    (0x0DC0, Letter), (0x0DC7, Symbol), (0x0DCA, Mark), (0x0DCB, Symbol), (0x0DCF, Letter),
    (0x0DD5, Symbol), (0x0DD6, Letter), (0x0DD7, Symbol), (0x0DD8, Letter), (0x0DE0, Symbol),
    (0x0DE6, Digit), (0x0DF0, Symbol), (0x0DF2, Letter), (0x0DF4, Symbol), (0x0E01, Letter),
    (0x0E3B, Symbol), (0x0E40, Letter), (0x0E47, Mark), (0x0E4D, Letter), (0x0E4E, Mark),
    (0x0E4F, Symbol), (0x0E50, Digit), (0x0E5A, Symbol), (0x0E81, Letter), (0x0E83, Symbol),
    (0x0E84, Letter), (0x0E85, Symbol), (0x0E86, Letter), (0x0E8B, Symbol), (0x0E8C, Letter),
    (0x0EA4, Symbol), (0x0EA5, Letter), (0x0EA6, Symbol), (0x0EA7, Letter), (0x0EBA, Mark),
    (0x0EBB, Letter), (0x0EBE, Symbol), (0x0EC0, Letter), (0x0EC5, Symbol), (0x0EC6, Letter),
    (0x0EC7, Symbol), (0x0EC8, Mark), (0x0ECD, Letter), (0x0ECE, Mark), (0x0ECF, Symbol),
    (0x0ED0, Digit), (0x0EDA, Symbol), (0x0EDC, Letter), (0x0EE0, Symbol), (0x0F00, Letter),
    (0x0F01, Symbol), (0x0F18, Mark), (0x0F1A, Symbol), (0x0F20, Digit), (0x0F34, Symbol),
    (0x0F35, Mark), (0x0F36, Symbol), (0x0F37, Mark), (0x0F38, Symbol), (0x0F39, Mark),
    (0x0F3A, Symbol), (0x0F3E, Mark), (0x0F40, Letter), (0x0F48, Symbol), (0x0F49, Letter),
    (0x0F6D, Symbol), (0x0F71, Letter), (0x0F84, Mark), (0x0F85, Symbol), (0x0F86, Mark),
    (0x0F88, Letter), (0x0F98, Symbol), (0x0F99, Letter), (0x0FBD, Symbol), (0x0FC6, Mark),
    (0x0FC7, Symbol), (0x1000, Letter), (0x1037, Mark), (0x1038, Letter), (0x1039, Mark),
    (0x103B, Letter), (0x1040, Digit), (0x104A, Symbol), (0x1050, Letter), (0x1090, Digit),
    (0x109A, Letter), (0x109E, Symbol), (0x10A0, Letter), (0x10C6, Symbol), (0x10C7, Letter),
    (0x10C8, Symbol), (0x10CD, Letter), (0x10CE, Symbol), (0x10D0, Letter), (0x10FB, Symbol),
    (0x10FC, Letter), (0x1249, Symbol), (0x124A, Letter), (0x124E, Symbol), (0x1250, Letter),
    (0x1257, Symbol), (0x1258, Letter), (0x1259, Symbol), (0x125A, Letter), (0x125E, Symbol),
    (0x1260, Letter), (0x1289, Symbol), (0x128A, Letter), (0x128E, Symbol), (0x1290, Letter),
    (0x12B1, Symbol), (0x12B2, Letter), (0x12B6, Symbol), (0x12B8, Letter), (0x12BF, Symbol),
    (0x12C0, Letter), (0x12C1, Symbol), (0x12C2, Letter), (0x12C6, Symbol), (0x12C8, Letter),
    (0x12D7, Symbol), (0x12D8, Letter), (0x1311, Symbol), (0x1312, Letter), (0x1316, Symbol),
    (0x1318, Letter), (0x135B, Symbol), (0x135D, Mark), (0x1360, Symbol), (0x1369, Digit),
    (0x137D, Symbol), (0x1380, Letter), (0x1390, Symbol), (0x13A0, Letter), (0x13F6, Symbol),
    (0x13F8, Letter), (0x13FE, Symbol), (0x1401, Letter), (0x166D, Symbol), (0x166F, Letter),
    (0x1680, Space), (0x1681, Letter), (0x169B, Symbol), (0x16A0, Letter), (0x16EB, Symbol),
    (0x16EE, Letter), (0x16F9, Symbol), (0x1700, Letter), (0x1714, Mark), (0x1716, Symbol),
    (0x171F, Letter), (0x1734, Mark), (0x1735, Symbol), (0x1740, Letter), (0x1754, Symbol),
    (0x1760, Letter), (0x176D, Symbol), (0x176E, Letter), (0x1771, Symbol), (0x1772, Letter),
    (0x1774, Symbol), (0x1780, Letter), (0x17B4, Mark), (0x17B6, Letter), (0x17C9, Mark),
    (0x17D4, Symbol), (0x17D7, Letter), (0x17D8, Symbol), (0x17DC, Letter), (0x17DD, Mark),
    (0x17DE, Symbol), (0x17E0, Digit), (0x17EA, Symbol), (0x17F0, Digit), (0x17FA, Symbol),
    (0x180B, Mark), (0x180E, Symbol), (0x180F, Mark), (0x1810, Digit), (0x181A, Symbol),
    (0x1820, Letter), (0x1879, Symbol), (0x1880, Letter), (0x18AB, Symbol), (0x18B0, Letter),
    (0x18F6, Symbol), (0x1900, Letter), (0x191F, Symbol), (0x1920, Letter), (0x192C, Symbol),
    (0x1930, Letter), (0x1939, Mark), (0x193C, Symbol), (0x1946, Digit), (0x1950, Letter),
    (0x196E, Symbol), (0x1970, Letter), (0x1975, Symbol), (0x1980, Letter), (0x19AC, Symbol),
    (0x19B0, Letter), (0x19CA, Symbol), (0x19D0, Digit), (0x19DB, Symbol), (0x1A00, Letter),
    (0x1A1C, Symbol), (0x1A20, Letter), (0x1A5F, Symbol), (0x1A60, Mark), (0x1A61, Letter),
    (0x1A75, Mark), (0x1A7D, Symbol), (0x1A7F, Mark), (0x1A80, Digit), (0x1A8A, Symbol),
    (0x1A90, Digit), (0x1A9A, Symbol), (0x1AA7, Letter), (0x1AA8, Symbol), (0x1AB0, Mark),
    (0x1ABF, Letter), (0x1AC1, Mark), (0x1ACC, Letter), (0x1ACF, Mark), (0x1AF1, Symbol),
    (0x1B00, Letter), (0x1B34, Mark), (0x1B35, Letter), (0x1B44, Mark), (0x1B45, Letter),
    (0x1B4D, Symbol), (0x1B50, Digit), (0x1B5A, Symbol), (0x1B6B, Mark), (0x1B74, Symbol),
    (0x1B80, Letter), (0x1BAA, Mark), (0x1BAC, Letter), (0x1BB0, Digit), (0x1BBA, Letter),
    (0x1BE6, Mark), (0x1BE7, Letter), (0x1BF2, Mark), (0x1BF4, Symbol), (0x1C00, Letter),
    (0x1C37, Mark), (0x1C38, Symbol), (0x1C40, Digit), (0x1C4A, Symbol), (0x1C4D, Letter),
    (0x1C50, Digit), (0x1C5A, Letter), (0x1C7E, Symbol), (0x1C80, Letter), (0x1C8B, Symbol),
    (0x1C90, Letter), (0x1CBB, Symbol), (0x1CBD, Letter), (0x1CC0, Symbol), (0x1CD0, Mark),
    (0x1CD3, Symbol), (0x1CD4, Mark), (0x1CE9, Letter), (0x1CED, Mark), (0x1CEE, Letter),
    (0x1CF4, Mark), (0x1CF5, Letter), (0x1CF7, Mark), (0x1CFA, Letter), (0x1CFB, Symbol),
    (0x1D00, Letter), (0x1DC0, Mark), (0x1DD3, Letter), (0x1DF5, Mark), (0x1E00, Letter),
    (0x1F16, Symbol), (0x1F18, Letter), (0x1F1E, Symbol), (0x1F20, Letter), (0x1F46, Symbol),
    (0x1F48, Letter), (0x1F4E, Symbol), (0x1F50, Letter), (0x1F58, Symbol), (0x1F59, Letter),
    (0x1F5A, Symbol), (0x1F5B, Letter), (0x1F5C, Symbol), (0x1F5D, Letter), (0x1F5E, Symbol),
    (0x1F5F, Letter), (0x1F7E, Symbol), (0x1F80, Letter), (0x1FB5, Symbol), (0x1FB6, Letter),
    (0x1FBD, Symbol), (0x1FBE, Letter), (0x1FBF, Symbol), (0x1FC2, Letter), (0x1FC5, Symbol),
    (0x1FC6, Letter), (0x1FCD, Symbol), (0x1FD0, Letter), (0x1FD4, Symbol), (0x1FD6, Letter),
    (0x1FDC, Symbol), (0x1FE0, Letter), (0x1FED, Symbol), (0x1FF2, Letter), (0x1FF5, Symbol),
    (0x1FF6, Letter), (0x1FFD, Symbol), (0x2000, Space), (0x200B, Invisible), (0x2010, Punct),
    (0x2028, Space), (0x202A, Invisible), (0x202F, Space), (0x2030, Punct), (0x205F, Space),
    (0x2060, Invisible), (0x2065, Symbol), (0x2066, Invisible), (0x206A, Symbol),
    (0x2070, Digit), (0x2071, Letter), (0x2072, Symbol), (0x2074, Digit), (0x207A, Symbol),
    (0x207F, Letter), (0x2080, Digit), (0x208A, Symbol), (0x2090, Letter), (0x209D, Symbol),
    (0x20D0, Mark), (0x20F1, Symbol),
];

/// Every code point below [`TABLE_LEN`] with its class.
pub(crate) static CLASS_TABLE: [Class; TABLE_LEN] = expand(&RUNS);

const fn expand(runs: &[(u32, Class)]) -> [Class; TABLE_LEN] {
    let mut t = [Symbol; TABLE_LEN];
    let mut r = 0usize;
    while r < runs.len() {
        let start = runs[r].0 as usize;
        let end = if r + 1 < runs.len() {
            runs[r + 1].0 as usize
        } else {
            TABLE_LEN
        };
        let mut i = start;
        while i < end && i < TABLE_LEN {
            t[i] = runs[r].1;
            i += 1;
        }
        r += 1;
    }
    t
}
