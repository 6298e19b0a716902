//! Writing to a peer that may never read: the write runs on a thread of
//! its own, so a peer that stops reading stalls that thread, not the
//! caller, who learns it after its patience.

use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// The end of a write to the peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    Yes,
    /// The peer closed its end.
    Closed,
    /// The peer did not read within the patience.
    Stuck,
}

/// A writer whose every send returns within the patience it is given.
pub struct PatientWriter {
    chunks: mpsc::Sender<Vec<u8>>,
    done: mpsc::Receiver<bool>,
}

impl PatientWriter {
    pub fn start(mut output: impl Write + Send + 'static) -> PatientWriter {
        let (chunks, todo) = mpsc::channel::<Vec<u8>>();
        let (report, done) = mpsc::channel();
        std::thread::spawn(move || {
            for chunk in todo {
                let ok = output
                    .write_all(&chunk)
                    .and_then(|_| output.flush())
                    .is_ok();
                if report.send(ok).is_err() || !ok {
                    break;
                }
            }
        });
        PatientWriter { chunks, done }
    }

    /// Writes `chunk` whole, waiting at most `patience` for the peer to
    /// take it.
    pub fn send(&mut self, chunk: impl Into<Vec<u8>>, patience: Duration) -> Sent {
        if self.chunks.send(chunk.into()).is_err() {
            return Sent::Closed;
        }
        match self.done.recv_timeout(patience) {
            Ok(true) => Sent::Yes,
            Ok(false) | Err(RecvTimeoutError::Disconnected) => Sent::Closed,
            Err(RecvTimeoutError::Timeout) => Sent::Stuck,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe nobody reads: the send gives up after its patience, however
    /// much is left to write.
    #[test]
    fn a_peer_that_never_reads_is_stuck_after_the_patience() {
        let (reader, writer) = std::io::pipe().unwrap();
        let mut out = PatientWriter::start(writer);
        assert_eq!(
            out.send(vec![b'x'; 4 << 20], Duration::from_millis(200)),
            Sent::Stuck
        );
        drop(reader);
    }

    #[test]
    fn a_closed_peer_is_closed_and_a_reading_one_takes_all() {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut out = PatientWriter::start(writer);
        assert_eq!(
            out.send(b"line\n".to_vec(), Duration::from_secs(60)),
            Sent::Closed
        );
        let mut sink = PatientWriter::start(std::io::sink());
        assert_eq!(
            sink.send(vec![0; 1 << 20], Duration::from_secs(60)),
            Sent::Yes
        );
    }
}
