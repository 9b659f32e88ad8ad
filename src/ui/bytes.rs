//! A writer that only counts bytes: put behind a terminal backend, it tells
//! how much a frame costs on the wire (the redraw test and the render
//! benchmark measure with it).

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// Counts what is written through it; clones share the count.
#[derive(Debug, Clone, Default)]
pub struct ByteCount(Arc<Mutex<usize>>);

impl ByteCount {
    /// The bytes written since the last call.
    pub fn take(&self) -> usize {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
