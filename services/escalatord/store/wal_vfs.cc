#include "escalatord/store/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <new>

namespace opel::store {
namespace {

constexpr std::size_t gather_limit = std::size_t{256} * 1024;  // the run's buffer

sqlite3_vfs* real_vfs = nullptr;  // the default VFS, set once in gathering_vfs()

// A WAL file: our header, then the real VFS's file (at `real_offset` in the same block).
struct GatheringFile {
    sqlite3_file base;  // must be first: SQLite sees this
    sqlite3_file* real;
    char* run;            // gather_limit bytes, allocated at the first write; null: none yet
    std::size_t size;     // bytes gathered in `run`
    sqlite3_int64 start;  // file offset of run[0]
};

constexpr std::size_t real_offset = (sizeof(GatheringFile) + alignof(std::max_align_t) - 1) /
                                    alignof(std::max_align_t) * alignof(std::max_align_t);

GatheringFile& as_gathering(sqlite3_file* f) { return *reinterpret_cast<GatheringFile*>(f); }

// The unix VFS writes at most 128 KiB - 1 per call (it masks the length to 17 bits) and
// reports a write of exactly 128 KiB as a full disk, so runs go out in pieces below that.
constexpr std::size_t max_write = 0x1f000;  // 124 KiB

int write_through(GatheringFile& f, const char* data, std::size_t n, sqlite3_int64 offset) {
    int rc = SQLITE_OK;
    for (std::size_t at = 0; at < n && rc == SQLITE_OK; at += max_write) {
        rc = f.real->pMethods->xWrite(f.real, data + at,
                                      static_cast<int>(std::min(max_write, n - at)),
                                      offset + static_cast<sqlite3_int64>(at));
    }
    return rc;
}

int flush(GatheringFile& f) {
    const int rc = f.size == 0 ? SQLITE_OK : write_through(f, f.run, f.size, f.start);
    f.size = 0;
    return rc;
}

// Writes out what is gathered, then does `then` on the real file.
template <typename Then>
int flushed(sqlite3_file* file, Then then) {
    GatheringFile& f = as_gathering(file);
    const int rc = flush(f);
    return rc != SQLITE_OK ? rc : then(f.real);
}

int gather_close(sqlite3_file* file) {
    GatheringFile& f = as_gathering(file);
    const int flushed_rc = flush(f);
    const int closed = f.real->pMethods->xClose(f.real);
    delete[] f.run;
    f.run = nullptr;
    return flushed_rc != SQLITE_OK ? flushed_rc : closed;
}

int gather_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    GatheringFile& f = as_gathering(file);
    const auto n = static_cast<std::size_t>(amount);
    const bool continues = offset == f.start + static_cast<sqlite3_int64>(f.size);
    if (f.size > 0 && (!continues || f.size + n > gather_limit)) {
        if (const int rc = flush(f); rc != SQLITE_OK) {
            return rc;
        }
    }
    if (f.run == nullptr) {
        f.run = new (std::nothrow) char[gather_limit];  // resident only once written
    }
    if (f.run == nullptr || n > gather_limit) {
        return write_through(f, static_cast<const char*>(data), n, offset);  // no run for it
    }
    if (f.size == 0) {
        f.start = offset;
    }
    std::memcpy(f.run + f.size, data, n);
    f.size += n;
    return SQLITE_OK;
}

int gather_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
    return flushed(
        file, [&](sqlite3_file* real) { return real->pMethods->xRead(real, out, amount, offset); });
}

int gather_truncate(sqlite3_file* file, sqlite3_int64 size) {
    return flushed(file, [&](sqlite3_file* real) { return real->pMethods->xTruncate(real, size); });
}

int gather_sync(sqlite3_file* file, int flags) {
    return flushed(file, [&](sqlite3_file* real) { return real->pMethods->xSync(real, flags); });
}

int gather_file_size(sqlite3_file* file, sqlite3_int64* size) {
    return flushed(file, [&](sqlite3_file* real) { return real->pMethods->xFileSize(real, size); });
}

int gather_file_control(sqlite3_file* file, int op, void* arg) {
    return flushed(file,
                   [&](sqlite3_file* real) { return real->pMethods->xFileControl(real, op, arg); });
}

int gather_lock(sqlite3_file* file, int level) {
    sqlite3_file* real = as_gathering(file).real;
    return real->pMethods->xLock(real, level);
}

int gather_unlock(sqlite3_file* file, int level) {
    sqlite3_file* real = as_gathering(file).real;
    return real->pMethods->xUnlock(real, level);
}

int gather_check_reserved(sqlite3_file* file, int* out) {
    sqlite3_file* real = as_gathering(file).real;
    return real->pMethods->xCheckReservedLock(real, out);
}

int gather_sector_size(sqlite3_file* file) {
    sqlite3_file* real = as_gathering(file).real;
    return real->pMethods->xSectorSize(real);
}

int gather_device_characteristics(sqlite3_file* file) {
    sqlite3_file* real = as_gathering(file).real;
    return real->pMethods->xDeviceCharacteristics(real);
}

// Version 1: a WAL file is never memory-mapped and has no shared memory of its own (the
// WAL index belongs to the database file, which is not wrapped).
const sqlite3_io_methods gathering_methods = {
    1,
    gather_close,
    gather_read,
    gather_write,
    gather_truncate,
    gather_sync,
    gather_file_size,
    gather_lock,
    gather_unlock,
    gather_check_reserved,
    gather_file_control,
    gather_sector_size,
    gather_device_characteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int gathering_open(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags,
                   int* out_flags) {
    if ((flags & SQLITE_OPEN_WAL) == 0) {
        // Everything else is the real VFS's own file, in the same block.
        return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
    }
    GatheringFile& f = as_gathering(file);
    f.base.pMethods = nullptr;  // until the real file is open: SQLite will not close it
    f.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_offset);
    f.run = nullptr;
    f.size = 0;
    f.start = 0;
    const int rc = real_vfs->xOpen(real_vfs, name, f.real, flags, out_flags);
    if (rc == SQLITE_OK && f.real->pMethods != nullptr) {
        f.base.pMethods = &gathering_methods;
    }
    return rc;
}

}  // namespace

const char* gathering_vfs() {
    static sqlite3_vfs vfs;
    static std::once_flag once;
    std::call_once(once, [] {
        real_vfs = sqlite3_vfs_find(nullptr);
        vfs = *real_vfs;
        vfs.pNext = nullptr;
        vfs.zName = "opel-gathering-wal";
        vfs.szOsFile =
            std::max(real_vfs->szOsFile, static_cast<int>(real_offset) + real_vfs->szOsFile);
        vfs.xOpen = gathering_open;
        sqlite3_vfs_register(&vfs, 0);
    });
    return vfs.zName;
}

}  // namespace opel::store
