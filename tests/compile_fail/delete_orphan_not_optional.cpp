// delete_orphan = sq::relationships<&Track::album_id> on a NOT NULL foreign key: the key can never
// be set to NULL, so no object could become an orphan. The message is the first error and says
// what to declare instead; the instantiation names the model and the member (issue 16).
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Album {
    std::int64_t id;
};
struct Track {
    std::int64_t id;
    sq::foreign_key<&Album::id> album_id;
    static constexpr auto delete_orphan = sq::relationships<&Track::album_id>;
};

void use(sq::session& db) { db.add(Track{}); }
