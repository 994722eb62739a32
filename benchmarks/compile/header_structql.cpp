// Parse cost of the header alone: <structql/structql.hpp> and an empty main.
#include <structql/structql.hpp>

int main() {}
