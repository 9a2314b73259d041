#include "escalatord/writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>

#include "common/codec/codec.h"
#include "common/log/log.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/request.pb.h"
#include "support/engine_fixtures.h"

namespace opel::escalatord {
namespace {

namespace fs = std::filesystem;
using opel::testing::at;

std::string request(const engine::Sitrep& s) {
    v1::SubmitRequest r;
    *r.mutable_sitrep() = codec::to_proto(s);
    return r.SerializeAsString();
}

// The storage thread commits what the engine thread pushes and hands every batch back in
// push order, through the wake-up it was given.
TEST(WriterTest, CommitsOnItsOwnThreadAndHandsBatchesBackInOrder) {
    const fs::path dir =
        fs::temp_directory_path() / ("opel-writer-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    config::EscalatordSettings settings;
    settings.database_path = (dir / "opel.db").string();
    const ManualClock clock(at("2026-01-06T08:00:00Z"));
    const auto log = log::make_logger("test", log::Format::human, "off");
    auto reads = std::move(store::Store::open(settings.database_path)).value();
    auto writes = std::move(store::Store::open(settings.database_path)).value();
    Escalator escalator(opel::testing::small_config(), settings, *reads, clock, *log);
    ASSERT_TRUE(escalator.restore());

    std::mutex mutex;
    std::condition_variable woken;
    int wakes = 0;
    Writer writer(*writes, [&] {
        const std::lock_guard lock(mutex);
        ++wakes;
        woken.notify_all();
    });
    const char* const sites[] = {"S1", "S2", "S1"};
    const char* const times[] = {"2026-01-06T07:00:00Z", "2026-01-06T07:00:00Z",
                                 "2026-01-06T07:30:00Z"};
    for (int i = 0; i < 3; ++i) {
        const std::string payload =
            request(opel::testing::sitrep(sites[i], times[i], {{"a", 25.0 * i}, {"b", 50}}));
        writer.push(escalator.prepare({payload}));
    }
    std::vector<BatchPtr> done;
    while (done.size() < 3) {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(woken.wait_for(lock, std::chrono::seconds(10), [&] { return wakes > 0; }));
        wakes = 0;
        lock.unlock();
        for (BatchPtr& b : writer.take_done()) {
            done.push_back(std::move(b));
        }
    }
    std::uint64_t last = 0;
    for (BatchPtr& b : done) {
        v1::SubmitReply reply;
        ASSERT_TRUE(reply.ParseFromString(escalator.finish(std::move(b)).replies.at(0)));
        EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED);
        EXPECT_GT(reply.sequence(), last);  // finished in push order
        last = reply.sequence();
    }
    EXPECT_EQ(escalator.sequence(), last);
    EXPECT_EQ(*reads->count("sitreps"), 3);

    // close() commits what is still queued before the thread stops.
    const std::string late =
        request(opel::testing::sitrep("S2", "2026-01-06T07:45:00Z", {{"a", 5}, {"b", 95}}));
    writer.push(escalator.prepare({late}));
    writer.close();
    auto rest = writer.take_done();
    ASSERT_EQ(rest.size(), 1U);
    EXPECT_FALSE(escalator.finish(std::move(rest[0])).publications.empty());
    EXPECT_EQ(*reads->count("sitreps"), 4);
    reads.reset();
    writes.reset();
    fs::remove_all(dir);
}

}  // namespace
}  // namespace opel::escalatord
