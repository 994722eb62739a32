// add_child<&Article::author_id>(reader, ...): the parent passed is a Reader, but the foreign key
// references Author. The message is the first error, says what to pass instead, and the
// instantiation names the member, the model passed and the model expected (issue 16).
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Author {
    std::int64_t id;
};
struct Article {
    std::int64_t id;
    sq::foreign_key<&Author::id> author_id;
};
struct Reader {
    std::int64_t id;
};

void use(sq::session& db, Reader& reader) { (void)db.add_child<&Article::author_id>(reader, Article{}); }
