// Compile-time benchmark, StructQL side: a realistic 10-model program (a small shop).
// Per model: one insert through a session (add + commit), one get<M>(id) and one filtered
// query in a second session (so both read from the database, not from the identity map).
// raw_sqlite3_program.cpp is the same program written by hand against the sqlite3 C API;
// both print the same checksum of the rows they read back.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <structql/structql.hpp>

namespace sq = structql;

namespace shop {

struct Country {
    sq::primary_key<std::int64_t> id;
    sq::unique<std::string> code;
    std::string name;
    std::optional<int> population_m;
    static constexpr std::string_view table_name = "countries";
};

struct Customer {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> name;
    sq::unique<std::string> email;
    std::optional<int> age;
    sq::foreign_key<&Country::id> country_id;
    double balance;
    static constexpr std::string_view table_name = "customers";
};

struct Category {
    sq::primary_key<std::int64_t> id;
    sq::unique<std::string> name;
    std::string description;
    int position;
    static constexpr std::string_view table_name = "categories";
};

struct Product {
    sq::primary_key<std::int64_t> id;
    sq::foreign_key<&Category::id> category_id;
    sq::indexed<std::string> name;
    double price;
    int stock;
    std::optional<int> weight_g;
    static constexpr std::string_view table_name = "products";
};

struct Order {
    sq::primary_key<std::int64_t> id;
    sq::foreign_key<&Customer::id> customer_id;
    double total;
    int status;
    std::optional<int> priority;
    static constexpr std::string_view table_name = "orders";
};

struct OrderItem {  // no table_name: "order_item"
    sq::primary_key<std::int64_t> id;
    sq::foreign_key<&Order::id> order_id;
    sq::foreign_key<&Product::id> product_id;
    int quantity;
    double unit_price;
};

struct Review {
    sq::primary_key<std::int64_t> id;
    sq::foreign_key<&Product::id> product_id;
    sq::foreign_key<&Customer::id> customer_id;
    sq::indexed<int> rating;
    std::string body;
    static constexpr std::string_view table_name = "reviews";
};

struct Supplier {
    sq::primary_key<std::int64_t> id;
    sq::unique<std::string> name;
    std::optional<int> rating;
    double balance;
    std::string phone;
    static constexpr std::string_view table_name = "suppliers";
};

struct Warehouse {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> city;
    int capacity;
    std::optional<int> utilization;
    static constexpr std::string_view table_name = "warehouses";
};

struct Shipment {
    sq::primary_key<std::int64_t> id;
    sq::foreign_key<&Order::id> order_id;
    sq::foreign_key<&Warehouse::id> warehouse_id;
    std::string carrier;
    double weight_kg;
    sq::indexed<std::int64_t> tracking;
    static constexpr std::string_view table_name = "shipments";
};

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

}  // namespace shop

int main() {
    using namespace shop;
    auto engine = sq::create_engine("sqlite:///:memory:");
    engine.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
    sq::metadata<Country, Customer, Category, Product, Order, OrderItem, Review, Supplier, Warehouse,
                 Shipment>::create_all(engine);
    auto Session = sq::sessionmaker(engine);

    // Writes: one row per model, each committed.
    std::int64_t country_id = 0, customer_id = 0, category_id = 0, product_id = 0, order_id = 0, item_id = 0,
                 review_id = 0, supplier_id = 0, warehouse_id = 0, shipment_id = 0;
    {
        auto db = Session();
        Country& country = db.add(Country{.id = {}, .code = "PT", .name = "Portugal", .population_m = 10});
        db.commit();
        country_id = country.id;
        Customer& customer = db.add(Customer{.id = {},
                                             .name = "Ana",
                                             .email = "ana@example.com",
                                             .age = 30,
                                             .country_id = country.id,
                                             .balance = 12.5});
        db.commit();
        customer_id = customer.id;
        Category& category =
            db.add(Category{.id = {}, .name = "Books", .description = "Paper and ink", .position = 1});
        db.commit();
        category_id = category.id;
        Product& product = db.add(Product{.id = {},
                                          .category_id = category.id,
                                          .name = "Os Lusiadas",
                                          .price = 19.9,
                                          .stock = 7,
                                          .weight_g = std::nullopt});
        db.commit();
        product_id = product.id;
        Order& order =
            db.add(Order{.id = {}, .customer_id = customer.id, .total = 39.8, .status = 1, .priority = 2});
        db.commit();
        order_id = order.id;
        OrderItem& item = db.add(OrderItem{
            .id = {}, .order_id = order.id, .product_id = product.id, .quantity = 2, .unit_price = 19.9});
        db.commit();
        item_id = item.id;
        Review& review = db.add(Review{
            .id = {}, .product_id = product.id, .customer_id = customer.id, .rating = 5, .body = "Epic."});
        db.commit();
        review_id = review.id;
        Supplier& supplier = db.add(
            Supplier{.id = {}, .name = "Livros SA", .rating = std::nullopt, .balance = 1000.0, .phone = "+351 1"});
        db.commit();
        supplier_id = supplier.id;
        Warehouse& warehouse = db.add(Warehouse{.id = {}, .city = "Porto", .capacity = 500, .utilization = 40});
        db.commit();
        warehouse_id = warehouse.id;
        Shipment& shipment = db.add(Shipment{.id = {},
                                             .order_id = order.id,
                                             .warehouse_id = warehouse.id,
                                             .carrier = "CTT",
                                             .weight_kg = 1.25,
                                             .tracking = 123456789});
        db.commit();
        shipment_id = shipment.id;
    }

    // Reads, in a fresh session: by primary key, then a filtered query.
    checksum sum;
    bool ok = true;
    {
        auto db = Session();
        if (Country* r = db.get<Country>(country_id)) add(sum, *r); else ok = false;
        for (Country* r : db.query<Country>().filter(sq::col<&Country::population_m> >= 1).all()) add(sum, *r);
        if (Customer* r = db.get<Customer>(customer_id)) add(sum, *r); else ok = false;
        for (Customer* r : db.query<Customer>().filter(sq::col<&Customer::age> >= 1).all()) add(sum, *r);
        if (Category* r = db.get<Category>(category_id)) add(sum, *r); else ok = false;
        for (Category* r : db.query<Category>().filter(sq::col<&Category::position> >= 1).all()) add(sum, *r);
        if (Product* r = db.get<Product>(product_id)) add(sum, *r); else ok = false;
        for (Product* r : db.query<Product>().filter(sq::col<&Product::stock> >= 1).all()) add(sum, *r);
        if (Order* r = db.get<Order>(order_id)) add(sum, *r); else ok = false;
        for (Order* r : db.query<Order>().filter(sq::col<&Order::status> >= 1).all()) add(sum, *r);
        if (OrderItem* r = db.get<OrderItem>(item_id)) add(sum, *r); else ok = false;
        for (OrderItem* r : db.query<OrderItem>().filter(sq::col<&OrderItem::quantity> >= 1).all()) add(sum, *r);
        if (Review* r = db.get<Review>(review_id)) add(sum, *r); else ok = false;
        for (Review* r : db.query<Review>().filter(sq::col<&Review::rating> >= 1).all()) add(sum, *r);
        if (Supplier* r = db.get<Supplier>(supplier_id)) add(sum, *r); else ok = false;
        for (Supplier* r : db.query<Supplier>().filter(sq::col<&Supplier::balance> >= 1).all()) add(sum, *r);
        if (Warehouse* r = db.get<Warehouse>(warehouse_id)) add(sum, *r); else ok = false;
        for (Warehouse* r : db.query<Warehouse>().filter(sq::col<&Warehouse::capacity> >= 1).all()) add(sum, *r);
        if (Shipment* r = db.get<Shipment>(shipment_id)) add(sum, *r); else ok = false;
        for (Shipment* r : db.query<Shipment>().filter(sq::col<&Shipment::weight_kg> >= 1).all()) add(sum, *r);
    }
    std::printf("structql: rows %d checksum %016llx\n", sum.rows, static_cast<unsigned long long>(sum.h));
    return ok && sum.rows == 20 ? 0 : 1;
}
