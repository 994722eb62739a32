// Compile-time benchmark, hand-written side: structql_program.cpp's 10-model program written
// against the sqlite3 C API the way a careful user would: RAII handles, every return code
// checked, statements prepared once and reused, a transaction guard, values always bound,
// rows read into the same structs (plain members instead of StructQL's column wrappers).
// Same schema (tables, UNIQUE, REFERENCES, indexes), same rows, same checksum.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sqlite3.h>

namespace shop {

struct Country {
    std::int64_t id = 0;
    std::string code;
    std::string name;
    std::optional<int> population_m;
};

struct Customer {
    std::int64_t id = 0;
    std::string name;
    std::string email;
    std::optional<int> age;
    std::int64_t country_id = 0;
    double balance = 0;
};

struct Category {
    std::int64_t id = 0;
    std::string name;
    std::string description;
    int position = 0;
};

struct Product {
    std::int64_t id = 0;
    std::int64_t category_id = 0;
    std::string name;
    double price = 0;
    int stock = 0;
    std::optional<int> weight_g;
};

struct Order {
    std::int64_t id = 0;
    std::int64_t customer_id = 0;
    double total = 0;
    int status = 0;
    std::optional<int> priority;
};

struct OrderItem {
    std::int64_t id = 0;
    std::int64_t order_id = 0;
    std::int64_t product_id = 0;
    int quantity = 0;
    double unit_price = 0;
};

struct Review {
    std::int64_t id = 0;
    std::int64_t product_id = 0;
    std::int64_t customer_id = 0;
    int rating = 0;
    std::string body;
};

struct Supplier {
    std::int64_t id = 0;
    std::string name;
    std::optional<int> rating;
    double balance = 0;
    std::string phone;
};

struct Warehouse {
    std::int64_t id = 0;
    std::string city;
    int capacity = 0;
    std::optional<int> utilization;
};

struct Shipment {
    std::int64_t id = 0;
    std::int64_t order_id = 0;
    std::int64_t warehouse_id = 0;
    std::string carrier;
    double weight_kg = 0;
    std::int64_t tracking = 0;
};

// ---- A thin, checked wrapper over the C API -------------------------------------------------

class sqlite_error : public std::runtime_error {
public:
    sqlite_error(sqlite3* db, std::string_view what)
        : std::runtime_error(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory")) {}
};

struct database_closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};
struct statement_finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

class database {
public:
    explicit database(const char* filename) {
        sqlite3* raw = nullptr;
        int rc = sqlite3_open_v2(filename, &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        handle_.reset(raw);
        if (rc != SQLITE_OK) throw sqlite_error(raw, "sqlite3_open_v2");
    }
    sqlite3* get() const noexcept { return handle_.get(); }
    void exec(const char* sql) {
        char* message = nullptr;
        if (sqlite3_exec(get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message ? message : "unknown error";
            sqlite3_free(message);
            throw std::runtime_error(std::string(sql) + ": " + text);
        }
    }
    std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(get()); }

private:
    std::unique_ptr<sqlite3, database_closer> handle_;
};

class statement {
public:
    statement(database& db, std::string_view sql) : db_(db.get()) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                               nullptr) != SQLITE_OK)
            throw sqlite_error(db_, std::string("prepare ") + std::string(sql));
        handle_.reset(raw);
    }

    void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(get(), index, value), "bind"); }
    void bind(int index, int value) { check(sqlite3_bind_int(get(), index, value), "bind"); }
    void bind(int index, double value) { check(sqlite3_bind_double(get(), index, value), "bind"); }
    void bind(int index, const std::string& value) {
        // SQLITE_STATIC: every bound string outlives the step that reads it (reset() clears).
        check(sqlite3_bind_text(get(), index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC), "bind");
    }
    void bind(int index, const std::optional<int>& value) {
        if (value) bind(index, *value);
        else check(sqlite3_bind_null(get(), index), "bind");
    }

    // true: a row is ready; false: done.
    bool step() {
        int rc = sqlite3_step(get());
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw sqlite_error(db_, std::string("step ") + sqlite3_sql(get()));
    }
    void reset() noexcept {
        sqlite3_reset(get());
        sqlite3_clear_bindings(get());
    }

    std::int64_t int64(int column) const { return sqlite3_column_int64(get(), column); }
    int int32(int column) const {
        std::int64_t v = sqlite3_column_int64(get(), column);
        if (v < INT32_MIN || v > INT32_MAX) throw std::out_of_range("integer column out of range");
        return static_cast<int>(v);
    }
    double real(int column) const { return sqlite3_column_double(get(), column); }
    std::string text(int column) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(get(), column));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(get(), column))) : std::string();
    }
    std::optional<int> optional_int(int column) const {
        if (sqlite3_column_type(get(), column) == SQLITE_NULL) return std::nullopt;
        return int32(column);
    }

private:
    sqlite3_stmt* get() const noexcept { return handle_.get(); }
    void check(int rc, const char* what) const {
        if (rc != SQLITE_OK) throw sqlite_error(db_, what);
    }
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, statement_finalizer> handle_;
};

// Resets a statement whatever happens, so it can be reused.
class reset_guard {
public:
    explicit reset_guard(statement& s) noexcept : s_(s) {}
    ~reset_guard() { s_.reset(); }
    reset_guard(const reset_guard&) = delete;
    reset_guard& operator=(const reset_guard&) = delete;

private:
    statement& s_;
};

// BEGIN ... COMMIT, rolled back unless committed.
class transaction {
public:
    explicit transaction(database& db) : db_(db) { db_.exec("BEGIN"); }
    ~transaction() {
        if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        db_.exec("COMMIT");
        done_ = true;
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

private:
    database& db_;
    bool done_ = false;
};

template <class Row, class Read>
std::optional<Row> fetch_one(statement& s, Read read) {
    reset_guard guard(s);
    if (!s.step()) return std::nullopt;
    return read(s);
}

template <class Row, class Read>
std::vector<Row> fetch_all(statement& s, Read read) {
    reset_guard guard(s);
    std::vector<Row> rows;
    while (s.step()) rows.push_back(read(s));
    return rows;
}

void execute(statement& s) {
    reset_guard guard(s);
    while (s.step()) {
    }
}

// ---- Schema ---------------------------------------------------------------------------------

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS "countries" ("id" INTEGER PRIMARY KEY, "code" TEXT NOT NULL UNIQUE,
  "name" TEXT NOT NULL, "population_m" INTEGER);
CREATE TABLE IF NOT EXISTS "customers" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL,
  "email" TEXT NOT NULL UNIQUE, "age" INTEGER,
  "country_id" INTEGER NOT NULL REFERENCES "countries" ("id"), "balance" REAL NOT NULL);
CREATE INDEX IF NOT EXISTS "ix_customers_name" ON "customers" ("name");
CREATE TABLE IF NOT EXISTS "categories" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL UNIQUE,
  "description" TEXT NOT NULL, "position" INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS "products" ("id" INTEGER PRIMARY KEY,
  "category_id" INTEGER NOT NULL REFERENCES "categories" ("id"), "name" TEXT NOT NULL,
  "price" REAL NOT NULL, "stock" INTEGER NOT NULL, "weight_g" INTEGER);
CREATE INDEX IF NOT EXISTS "ix_products_name" ON "products" ("name");
CREATE TABLE IF NOT EXISTS "orders" ("id" INTEGER PRIMARY KEY,
  "customer_id" INTEGER NOT NULL REFERENCES "customers" ("id"), "total" REAL NOT NULL,
  "status" INTEGER NOT NULL, "priority" INTEGER);
CREATE TABLE IF NOT EXISTS "order_item" ("id" INTEGER PRIMARY KEY,
  "order_id" INTEGER NOT NULL REFERENCES "orders" ("id"),
  "product_id" INTEGER NOT NULL REFERENCES "products" ("id"), "quantity" INTEGER NOT NULL,
  "unit_price" REAL NOT NULL);
CREATE TABLE IF NOT EXISTS "reviews" ("id" INTEGER PRIMARY KEY,
  "product_id" INTEGER NOT NULL REFERENCES "products" ("id"),
  "customer_id" INTEGER NOT NULL REFERENCES "customers" ("id"), "rating" INTEGER NOT NULL,
  "body" TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS "ix_reviews_rating" ON "reviews" ("rating");
CREATE TABLE IF NOT EXISTS "suppliers" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL UNIQUE,
  "rating" INTEGER, "balance" REAL NOT NULL, "phone" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "warehouses" ("id" INTEGER PRIMARY KEY, "city" TEXT NOT NULL,
  "capacity" INTEGER NOT NULL, "utilization" INTEGER);
CREATE INDEX IF NOT EXISTS "ix_warehouses_city" ON "warehouses" ("city");
CREATE TABLE IF NOT EXISTS "shipments" ("id" INTEGER PRIMARY KEY,
  "order_id" INTEGER NOT NULL REFERENCES "orders" ("id"),
  "warehouse_id" INTEGER NOT NULL REFERENCES "warehouses" ("id"), "carrier" TEXT NOT NULL,
  "weight_kg" REAL NOT NULL, "tracking" INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS "ix_shipments_tracking" ON "shipments" ("tracking");
)sql";

// ---- Per table: the three statements, binding and reading -----------------------------------

struct table_statements {
    statement insert;
    statement by_id;
    statement filtered;
};

Country read_country(const statement& s) {
    return Country{s.int64(0), s.text(1), s.text(2), s.optional_int(3)};
}
Customer read_customer(const statement& s) {
    return Customer{s.int64(0), s.text(1), s.text(2), s.optional_int(3), s.int64(4), s.real(5)};
}
Category read_category(const statement& s) { return Category{s.int64(0), s.text(1), s.text(2), s.int32(3)}; }
Product read_product(const statement& s) {
    return Product{s.int64(0), s.int64(1), s.text(2), s.real(3), s.int32(4), s.optional_int(5)};
}
Order read_order(const statement& s) {
    return Order{s.int64(0), s.int64(1), s.real(2), s.int32(3), s.optional_int(4)};
}
OrderItem read_order_item(const statement& s) {
    return OrderItem{s.int64(0), s.int64(1), s.int64(2), s.int32(3), s.real(4)};
}
Review read_review(const statement& s) { return Review{s.int64(0), s.int64(1), s.int64(2), s.int32(3), s.text(4)}; }
Supplier read_supplier(const statement& s) {
    return Supplier{s.int64(0), s.text(1), s.optional_int(2), s.real(3), s.text(4)};
}
Warehouse read_warehouse(const statement& s) {
    return Warehouse{s.int64(0), s.text(1), s.int32(2), s.optional_int(3)};
}
Shipment read_shipment(const statement& s) {
    return Shipment{s.int64(0), s.int64(1), s.int64(2), s.text(3), s.real(4), s.int64(5)};
}

struct statements {
    explicit statements(database& db)
        : countries{{db, R"(INSERT INTO "countries" ("code", "name", "population_m") VALUES (?, ?, ?))"},
                    {db, R"(SELECT "id", "code", "name", "population_m" FROM "countries" WHERE "id" = ?)"},
                    {db, R"(SELECT "id", "code", "name", "population_m" FROM "countries" )"
                         R"(WHERE "population_m" >= ?)"}},
          customers{{db, R"(INSERT INTO "customers" ("name", "email", "age", "country_id", "balance") )"
                         R"(VALUES (?, ?, ?, ?, ?))"},
                    {db, R"(SELECT "id", "name", "email", "age", "country_id", "balance" FROM "customers" )"
                         R"(WHERE "id" = ?)"},
                    {db, R"(SELECT "id", "name", "email", "age", "country_id", "balance" FROM "customers" )"
                         R"(WHERE "age" >= ?)"}},
          categories{{db, R"(INSERT INTO "categories" ("name", "description", "position") VALUES (?, ?, ?))"},
                     {db, R"(SELECT "id", "name", "description", "position" FROM "categories" WHERE "id" = ?)"},
                     {db, R"(SELECT "id", "name", "description", "position" FROM "categories" )"
                          R"(WHERE "position" >= ?)"}},
          products{{db, R"(INSERT INTO "products" ("category_id", "name", "price", "stock", "weight_g") )"
                        R"(VALUES (?, ?, ?, ?, ?))"},
                   {db, R"(SELECT "id", "category_id", "name", "price", "stock", "weight_g" FROM "products" )"
                        R"(WHERE "id" = ?)"},
                   {db, R"(SELECT "id", "category_id", "name", "price", "stock", "weight_g" FROM "products" )"
                        R"(WHERE "stock" >= ?)"}},
          orders{{db, R"(INSERT INTO "orders" ("customer_id", "total", "status", "priority") VALUES (?, ?, ?, ?))"},
                 {db, R"(SELECT "id", "customer_id", "total", "status", "priority" FROM "orders" WHERE "id" = ?)"},
                 {db, R"(SELECT "id", "customer_id", "total", "status", "priority" FROM "orders" )"
                      R"(WHERE "status" >= ?)"}},
          order_items{{db, R"(INSERT INTO "order_item" ("order_id", "product_id", "quantity", "unit_price") )"
                           R"(VALUES (?, ?, ?, ?))"},
                      {db, R"(SELECT "id", "order_id", "product_id", "quantity", "unit_price" FROM "order_item" )"
                           R"(WHERE "id" = ?)"},
                      {db, R"(SELECT "id", "order_id", "product_id", "quantity", "unit_price" FROM "order_item" )"
                           R"(WHERE "quantity" >= ?)"}},
          reviews{{db, R"(INSERT INTO "reviews" ("product_id", "customer_id", "rating", "body") VALUES (?, ?, ?, ?))"},
                  {db, R"(SELECT "id", "product_id", "customer_id", "rating", "body" FROM "reviews" WHERE "id" = ?)"},
                  {db, R"(SELECT "id", "product_id", "customer_id", "rating", "body" FROM "reviews" )"
                       R"(WHERE "rating" >= ?)"}},
          suppliers{{db, R"(INSERT INTO "suppliers" ("name", "rating", "balance", "phone") VALUES (?, ?, ?, ?))"},
                    {db, R"(SELECT "id", "name", "rating", "balance", "phone" FROM "suppliers" WHERE "id" = ?)"},
                    {db, R"(SELECT "id", "name", "rating", "balance", "phone" FROM "suppliers" )"
                         R"(WHERE "balance" >= ?)"}},
          warehouses{{db, R"(INSERT INTO "warehouses" ("city", "capacity", "utilization") VALUES (?, ?, ?))"},
                     {db, R"(SELECT "id", "city", "capacity", "utilization" FROM "warehouses" WHERE "id" = ?)"},
                     {db, R"(SELECT "id", "city", "capacity", "utilization" FROM "warehouses" )"
                          R"(WHERE "capacity" >= ?)"}},
          shipments{{db, R"(INSERT INTO "shipments" ("order_id", "warehouse_id", "carrier", "weight_kg", "tracking") )"
                         R"(VALUES (?, ?, ?, ?, ?))"},
                    {db, R"(SELECT "id", "order_id", "warehouse_id", "carrier", "weight_kg", "tracking" )"
                         R"(FROM "shipments" WHERE "id" = ?)"},
                    {db, R"(SELECT "id", "order_id", "warehouse_id", "carrier", "weight_kg", "tracking" )"
                         R"(FROM "shipments" WHERE "weight_kg" >= ?)"}} {}

    table_statements countries, customers, categories, products, orders, order_items, reviews, suppliers,
        warehouses, shipments;
};

// Inserts: bind every column but the key, run, read the generated key back.
void insert(database& db, statement& s, Country& r) {
    s.bind(1, r.code), s.bind(2, r.name), s.bind(3, r.population_m);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Customer& r) {
    s.bind(1, r.name), s.bind(2, r.email), s.bind(3, r.age), s.bind(4, r.country_id), s.bind(5, r.balance);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Category& r) {
    s.bind(1, r.name), s.bind(2, r.description), s.bind(3, r.position);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Product& r) {
    s.bind(1, r.category_id), s.bind(2, r.name), s.bind(3, r.price), s.bind(4, r.stock), s.bind(5, r.weight_g);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Order& r) {
    s.bind(1, r.customer_id), s.bind(2, r.total), s.bind(3, r.status), s.bind(4, r.priority);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, OrderItem& r) {
    s.bind(1, r.order_id), s.bind(2, r.product_id), s.bind(3, r.quantity), s.bind(4, r.unit_price);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Review& r) {
    s.bind(1, r.product_id), s.bind(2, r.customer_id), s.bind(3, r.rating), s.bind(4, r.body);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Supplier& r) {
    s.bind(1, r.name), s.bind(2, r.rating), s.bind(3, r.balance), s.bind(4, r.phone);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Warehouse& r) {
    s.bind(1, r.city), s.bind(2, r.capacity), s.bind(3, r.utilization);
    execute(s);
    r.id = db.last_insert_rowid();
}
void insert(database& db, statement& s, Shipment& r) {
    s.bind(1, r.order_id), s.bind(2, r.warehouse_id), s.bind(3, r.carrier), s.bind(4, r.weight_kg),
        s.bind(5, r.tracking);
    execute(s);
    r.id = db.last_insert_rowid();
}

// One row inserted and committed in its own transaction, as the session program does.
template <class Row>
void insert_committed(database& db, statement& s, Row& row) {
    transaction tx(db);
    insert(db, s, row);
    tx.commit();
}

template <class Row, class Read>
std::optional<Row> get(statement& s, std::int64_t id, Read read) {
    s.bind(1, id);
    return fetch_one<Row>(s, read);
}

template <class Row, class Value, class Read>
std::vector<Row> where_at_least(statement& s, Value minimum, Read read) {
    s.bind(1, minimum);
    return fetch_all<Row>(s, read);
}

// FNV-1a over a canonical text of each row read back (the same in both programs).
struct checksum {
    std::uint64_t h = 1469598103934665603ull;
    int rows = 0;
    void text(std::string_view s) {
        for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0x1f) * 1099511628211ull;
    }
    void str(const std::string& s) { text(s); }
    void i64(std::int64_t v) { text(std::to_string(v)); }
    void f64(double v) {
        char buf[64];
        int n = std::snprintf(buf, sizeof buf, "%.6f", v);
        text(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    void opt(const std::optional<int>& v) {
        if (v) i64(*v);
        else text("NULL");
    }
};

void add(checksum& c, const Country& r) {
    c.i64(r.id), c.str(r.code), c.str(r.name), c.opt(r.population_m), ++c.rows;
}
void add(checksum& c, const Customer& r) {
    c.i64(r.id), c.str(r.name), c.str(r.email), c.opt(r.age), c.i64(r.country_id), c.f64(r.balance), ++c.rows;
}
void add(checksum& c, const Category& r) {
    c.i64(r.id), c.str(r.name), c.str(r.description), c.i64(r.position), ++c.rows;
}
void add(checksum& c, const Product& r) {
    c.i64(r.id), c.i64(r.category_id), c.str(r.name), c.f64(r.price), c.i64(r.stock), c.opt(r.weight_g), ++c.rows;
}
void add(checksum& c, const Order& r) {
    c.i64(r.id), c.i64(r.customer_id), c.f64(r.total), c.i64(r.status), c.opt(r.priority), ++c.rows;
}
void add(checksum& c, const OrderItem& r) {
    c.i64(r.id), c.i64(r.order_id), c.i64(r.product_id), c.i64(r.quantity), c.f64(r.unit_price), ++c.rows;
}
void add(checksum& c, const Review& r) {
    c.i64(r.id), c.i64(r.product_id), c.i64(r.customer_id), c.i64(r.rating), c.str(r.body), ++c.rows;
}
void add(checksum& c, const Supplier& r) {
    c.i64(r.id), c.str(r.name), c.opt(r.rating), c.f64(r.balance), c.str(r.phone), ++c.rows;
}
void add(checksum& c, const Warehouse& r) {
    c.i64(r.id), c.str(r.city), c.i64(r.capacity), c.opt(r.utilization), ++c.rows;
}
void add(checksum& c, const Shipment& r) {
    c.i64(r.id), c.i64(r.order_id), c.i64(r.warehouse_id), c.str(r.carrier), c.f64(r.weight_kg), c.i64(r.tracking),
        ++c.rows;
}

template <class Row>
bool add(checksum& c, const std::optional<Row>& row) {
    if (!row) return false;
    add(c, *row);
    return true;
}
template <class Row>
void add(checksum& c, const std::vector<Row>& rows) {
    for (const Row& r : rows) add(c, r);
}

}  // namespace shop

int main() {
    using namespace shop;
    try {
        database db(":memory:");
        db.exec("PRAGMA foreign_keys=ON");
        {
            transaction tx(db);
            db.exec(schema);
            tx.commit();
        }
        statements st(db);

        // Writes: one row per model, each committed.
        Country country{.id = 0, .code = "PT", .name = "Portugal", .population_m = 10};
        insert_committed(db, st.countries.insert, country);
        Customer customer{.id = 0,
                          .name = "Ana",
                          .email = "ana@example.com",
                          .age = 30,
                          .country_id = country.id,
                          .balance = 12.5};
        insert_committed(db, st.customers.insert, customer);
        Category category{.id = 0, .name = "Books", .description = "Paper and ink", .position = 1};
        insert_committed(db, st.categories.insert, category);
        Product product{.id = 0,
                        .category_id = category.id,
                        .name = "Os Lusiadas",
                        .price = 19.9,
                        .stock = 7,
                        .weight_g = std::nullopt};
        insert_committed(db, st.products.insert, product);
        Order order{.id = 0, .customer_id = customer.id, .total = 39.8, .status = 1, .priority = 2};
        insert_committed(db, st.orders.insert, order);
        OrderItem item{.id = 0, .order_id = order.id, .product_id = product.id, .quantity = 2, .unit_price = 19.9};
        insert_committed(db, st.order_items.insert, item);
        Review review{.id = 0, .product_id = product.id, .customer_id = customer.id, .rating = 5, .body = "Epic."};
        insert_committed(db, st.reviews.insert, review);
        Supplier supplier{.id = 0, .name = "Livros SA", .rating = std::nullopt, .balance = 1000.0, .phone = "+351 1"};
        insert_committed(db, st.suppliers.insert, supplier);
        Warehouse warehouse{.id = 0, .city = "Porto", .capacity = 500, .utilization = 40};
        insert_committed(db, st.warehouses.insert, warehouse);
        Shipment shipment{.id = 0,
                          .order_id = order.id,
                          .warehouse_id = warehouse.id,
                          .carrier = "CTT",
                          .weight_kg = 1.25,
                          .tracking = 123456789};
        insert_committed(db, st.shipments.insert, shipment);

        // Reads, in one read transaction: by primary key, then a filtered select.
        checksum sum;
        bool ok = true;
        {
            transaction tx(db);
            ok &= add(sum, get<Country>(st.countries.by_id, country.id, read_country));
            add(sum, where_at_least<Country>(st.countries.filtered, 1, read_country));
            ok &= add(sum, get<Customer>(st.customers.by_id, customer.id, read_customer));
            add(sum, where_at_least<Customer>(st.customers.filtered, 1, read_customer));
            ok &= add(sum, get<Category>(st.categories.by_id, category.id, read_category));
            add(sum, where_at_least<Category>(st.categories.filtered, 1, read_category));
            ok &= add(sum, get<Product>(st.products.by_id, product.id, read_product));
            add(sum, where_at_least<Product>(st.products.filtered, 1, read_product));
            ok &= add(sum, get<Order>(st.orders.by_id, order.id, read_order));
            add(sum, where_at_least<Order>(st.orders.filtered, 1, read_order));
            ok &= add(sum, get<OrderItem>(st.order_items.by_id, item.id, read_order_item));
            add(sum, where_at_least<OrderItem>(st.order_items.filtered, 1, read_order_item));
            ok &= add(sum, get<Review>(st.reviews.by_id, review.id, read_review));
            add(sum, where_at_least<Review>(st.reviews.filtered, 1, read_review));
            ok &= add(sum, get<Supplier>(st.suppliers.by_id, supplier.id, read_supplier));
            add(sum, where_at_least<Supplier>(st.suppliers.filtered, 1.0, read_supplier));
            ok &= add(sum, get<Warehouse>(st.warehouses.by_id, warehouse.id, read_warehouse));
            add(sum, where_at_least<Warehouse>(st.warehouses.filtered, 1, read_warehouse));
            ok &= add(sum, get<Shipment>(st.shipments.by_id, shipment.id, read_shipment));
            add(sum, where_at_least<Shipment>(st.shipments.filtered, 1.0, read_shipment));
            tx.commit();
        }
        std::printf("raw sqlite3: rows %d checksum %016llx\n", sum.rows, static_cast<unsigned long long>(sum.h));
        return ok && sum.rows == 20 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
