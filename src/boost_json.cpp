// Boost.JSON's compiled part, once, for the programs here that include <structql/json.hpp>
// (the structql_boost_json target): the tests and the HTTP service of examples/backend/.
#include <boost/json/src.hpp>
