// Compiled only, never run: StructQL's option structs filled by designated initializers that
// leave members out, as users write them, under -Wall -Wextra -Werror WITHOUT
// -Wno-missing-field-initializers (target structql_option_initializers). g++ 12 warns about a
// member left out of a designated initializer unless it has a default member initializer, so
// every member of these structs has one.
#include <chrono>
#include <string_view>

#include <structql/structql.hpp>

namespace option_initializers {
namespace sq = structql;

inline void users_code() {
    auto engine = sq::create_engine("sqlite://", {.check_same_thread = false});
    auto other = sq::create_engine("sqlite://", {.echo = true, .log = [](std::string_view) {}});
    auto busy = sq::create_engine("sqlite://", {.busy_timeout = std::chrono::milliseconds{100},
                                               .sqlite_begin = sq::transaction_mode::immediate});
    auto SessionLocal = sq::sessionmaker(engine, {.autocommit = false, .autoflush = false});
    auto flushing = sq::sessionmaker(other, {.autoflush = true});
    sq::session db = SessionLocal();
    sq::session_options only_autocommit{.autocommit = true};
    sq::statement_event event{.sql = "SELECT 1"};
    sq::engine_events events{.after_execute = {}};
    sq::retry_options retry{.attempts = 3};
    (void)busy, (void)flushing, (void)only_autocommit, (void)event, (void)events, (void)retry;
}

}  // namespace option_initializers
