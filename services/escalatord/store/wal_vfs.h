// A SQLite VFS that gathers each WAL file's writes until they are needed, so a commit's
// frames reach the kernel in a few large writes instead of two per 4 KiB page (a 24-byte
// frame header, then the page). One large write of a commit's frames takes less time than
// many small ones, and the fdatasync after them costs the same either way (the measurements
// are in bench/history.md; docs/storage.md describes the WAL file).
//
// It wraps the default VFS and changes nothing but the WAL file's writes. Gathered bytes are
// written out, in order, before that file is synced, read, sized, truncated, controlled or
// closed, and whenever a write does not continue the gathered run or would not fit in its
// 256 KiB. A run goes out in writes of 124 KiB whatever its size, so a larger buffer only
// saves a flush in the largest commits, and costs resident memory.
// That keeps SQLite's guarantees: a commit's frames are on disk when its fsync returns, and
// no other connection can see a frame before that (SQLite publishes frames in the WAL index
// only after writing and syncing them); a crash loses only frames nothing had committed.
#pragma once

namespace opel::store {

// The VFS's name, registered (not as the default) on first use. Thread-safe.
const char* gathering_vfs();

}  // namespace opel::store
