#include "common/store/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

namespace opel::store {
namespace {

constexpr std::size_t gather_limit = std::size_t{1} << 20;

sqlite3_vfs* real_vfs = nullptr;  // the default VFS, set once in gathering_vfs()

// A WAL file: our header, then the real VFS's file (at `real_offset` in the same block).
struct GatheringFile {
    sqlite3_file base;  // must be first: SQLite sees this
    sqlite3_file* real;
    std::string* gathered;  // the run not yet written; null until the first write
    sqlite3_int64 start;    // file offset of gathered->front()
};

constexpr std::size_t real_offset = (sizeof(GatheringFile) + alignof(std::max_align_t) - 1) /
                                    alignof(std::max_align_t) * alignof(std::max_align_t);

GatheringFile& as_gathering(sqlite3_file* f) { return *reinterpret_cast<GatheringFile*>(f); }

// The unix VFS writes at most 128 KiB - 1 per call (it masks the length to 17 bits) and
// reports a write of exactly 128 KiB as a full disk, so runs go out in pieces below that.
constexpr std::size_t max_write = 0x1f000;  // 124 KiB

int flush(GatheringFile& f) {
    if (f.gathered == nullptr || f.gathered->empty()) {
        return SQLITE_OK;
    }
    int rc = SQLITE_OK;
    for (std::size_t at = 0; at < f.gathered->size() && rc == SQLITE_OK; at += max_write) {
        const std::size_t n = std::min(max_write, f.gathered->size() - at);
        rc = f.real->pMethods->xWrite(f.real, f.gathered->data() + at, static_cast<int>(n),
                                      f.start + static_cast<sqlite3_int64>(at));
    }
    f.gathered->clear();
    return rc;
}

int gather_close(sqlite3_file* file) {
    GatheringFile& f = as_gathering(file);
    const int flushed = flush(f);
    const int closed = f.real->pMethods->xClose(f.real);
    delete f.gathered;
    f.gathered = nullptr;
    return flushed != SQLITE_OK ? flushed : closed;
}

int gather_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
    GatheringFile& f = as_gathering(file);
    if (const int rc = flush(f); rc != SQLITE_OK) {
        return rc;
    }
    return f.real->pMethods->xRead(f.real, out, amount, offset);
}

int gather_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    GatheringFile& f = as_gathering(file);
    if (f.gathered == nullptr) {
        f.gathered = new (std::nothrow) std::string;
        if (f.gathered == nullptr) {
            return f.real->pMethods->xWrite(f.real, data, amount, offset);
        }
        // Room for a full run plus the frame that completes it, so the run never regrows
        // (pages are only resident once written).
        try {
            f.gathered->reserve(gather_limit + 8192);
        } catch (const std::bad_alloc&) {
            // It will grow as needed instead.
        }
    }
    const auto size = static_cast<sqlite3_int64>(f.gathered->size());
    if (!f.gathered->empty() && offset != f.start + size) {
        if (const int rc = flush(f); rc != SQLITE_OK) {
            return rc;
        }
    }
    if (f.gathered->empty()) {
        f.start = offset;
    }
    try {
        f.gathered->append(static_cast<const char*>(data), static_cast<std::size_t>(amount));
    } catch (const std::bad_alloc&) {
        if (const int rc = flush(f); rc != SQLITE_OK) {
            return rc;
        }
        return f.real->pMethods->xWrite(f.real, data, amount, offset);
    }
    return f.gathered->size() >= gather_limit ? flush(f) : SQLITE_OK;
}

int gather_truncate(sqlite3_file* file, sqlite3_int64 size) {
    GatheringFile& f = as_gathering(file);
    if (const int rc = flush(f); rc != SQLITE_OK) {
        return rc;
    }
    return f.real->pMethods->xTruncate(f.real, size);
}

int gather_sync(sqlite3_file* file, int flags) {
    GatheringFile& f = as_gathering(file);
    if (const int rc = flush(f); rc != SQLITE_OK) {
        return rc;
    }
    return f.real->pMethods->xSync(f.real, flags);
}

int gather_file_size(sqlite3_file* file, sqlite3_int64* size) {
    GatheringFile& f = as_gathering(file);
    if (const int rc = flush(f); rc != SQLITE_OK) {
        return rc;
    }
    return f.real->pMethods->xFileSize(f.real, size);
}

int gather_lock(sqlite3_file* file, int level) {
    GatheringFile& f = as_gathering(file);
    return f.real->pMethods->xLock(f.real, level);
}

int gather_unlock(sqlite3_file* file, int level) {
    GatheringFile& f = as_gathering(file);
    return f.real->pMethods->xUnlock(f.real, level);
}

int gather_check_reserved(sqlite3_file* file, int* out) {
    GatheringFile& f = as_gathering(file);
    return f.real->pMethods->xCheckReservedLock(f.real, out);
}

int gather_file_control(sqlite3_file* file, int op, void* arg) {
    GatheringFile& f = as_gathering(file);
    if (const int rc = flush(f); rc != SQLITE_OK) {
        return rc;
    }
    return f.real->pMethods->xFileControl(f.real, op, arg);
}

int gather_sector_size(sqlite3_file* file) {
    GatheringFile& f = as_gathering(file);
    return f.real->pMethods->xSectorSize(f.real);
}

int gather_device_characteristics(sqlite3_file* file) {
    GatheringFile& f = as_gathering(file);
    return f.real->pMethods->xDeviceCharacteristics(f.real);
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
    f.gathered = nullptr;
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
