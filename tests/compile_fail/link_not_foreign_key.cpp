// link<&PostTag::post_id, &PostTag::weight>(post, tag): weight is a plain column of the
// association model, not a foreign_key<> to Tag. The message is the first error and says what
// to name instead; the instantiation names the member (issue 16).
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Post {
    std::int64_t id;
};
struct Tag {
    std::int64_t id;
};
struct PostTag {
    sq::primary_key<sq::foreign_key<&Post::id>> post_id;
    sq::primary_key<sq::foreign_key<&Tag::id>> tag_id;
    int weight;
};

void use(sq::session& db, Post& post, Tag& tag) { (void)db.link<&PostTag::post_id, &PostTag::weight>(post, tag); }
