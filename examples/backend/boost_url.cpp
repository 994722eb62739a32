// Boost.URL's compiled part, once for the service (it parses request targets in http.cpp).
#include <boost/url/src.hpp>
