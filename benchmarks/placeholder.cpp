#include <structql/structql.hpp>
int main() { return 0; }
