//! Files for a bundle, shared by the push tests and the push bench: a file
//! written with its mode, and incompressible bytes (a bundle of that size).

use std::path::Path;

/// Writes `bytes` to `path` (its folders made) with Unix `mode`.
pub fn write(path: &Path, bytes: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `len` bytes that deflate cannot shrink (xorshift, the same every time).
pub fn noise(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for chunk in bytes.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    bytes
}
