// Reading SQLite columns into our types: shared by the store's source files.
#pragma once

#include <sqlite3.h>

#include <string>

namespace opel::store {

// A BLOB (or TEXT) column's bytes; empty for NULL.
inline std::string column_blob(sqlite3_stmt* s, int i) {
    const void* data = sqlite3_column_blob(s, i);
    const int size = sqlite3_column_bytes(s, i);
    return data == nullptr
               ? std::string()
               : std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

}  // namespace opel::store
