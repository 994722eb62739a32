// Baseline for header_structql.cpp: <sqlite3.h> alone and an empty main.
#include <sqlite3.h>

int main() {}
