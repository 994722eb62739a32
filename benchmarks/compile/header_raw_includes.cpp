// Second baseline for header_structql.cpp: the hand-written program's own includes (those of
// raw_sqlite3_program.cpp) and an empty main. The difference is the parse a translation unit
// pays for choosing StructQL over the same code written by hand against sqlite3.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sqlite3.h>

int main() {}
