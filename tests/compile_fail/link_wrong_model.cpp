// link<&PostTag::post_id, &PostTag::tag_id>(tag, post): the objects in the wrong order, so the
// first is a Tag where post_id references Post. The message is the first error, and the
// instantiation names the member, the model passed and the model expected (issue 16).
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Post {
    std::int64_t id;
};
struct Tag {
    std::int64_t id;
    std::string name;
};
struct PostTag {
    sq::primary_key<sq::foreign_key<&Post::id>> post_id;
    sq::primary_key<sq::foreign_key<&Tag::id>> tag_id;
};

void use(sq::session& db, Post& post, Tag& tag) { (void)db.link<&PostTag::post_id, &PostTag::tag_id>(tag, post); }
