// add_child<&Article::title>(author, ...): a relationship is named by the child's foreign_key<>
// member, and title is a plain column. The message is the first error and says what to name
// instead; the instantiation names the member (issue 16).
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Author {
    std::int64_t id;
};
struct Article {
    std::int64_t id;
    sq::foreign_key<&Author::id> author_id;
    std::string title;
};

void use(sq::session& db, Author& author) { (void)db.add_child<&Article::title>(author, Article{}); }
