#include "seen_submissions.h"

#include <gtest/gtest.h>

#include "adapters/config/loader.h"

namespace opel::cli {
namespace {

engine::EngineConfig shipped() {
    auto loaded = config::load_config(OPEL_CONFIG_DIR);
    EXPECT_TRUE(loaded.has_value());
    return std::move(loaded->engine);
}

engine::Sitrep sitrep(const std::string& site, const std::string& as_at, double beds,
                      const std::string& id = "") {
    engine::Sitrep s;
    s.site_id = site;
    s.as_at = parse_rfc3339(as_at);
    s.submission_id = id;
    s.measures = {{"ga_beds_occupied", beds}, {"nctr_patients", 40}};
    return s;
}

// evaluate's way: ask SeenSubmissions, else the engine (without its own memory), then remember.
class Offline {
public:
    Offline() : engine_(shipped(), engine::EngineOptions{.track_submissions = false}) {}
    engine::SubmitOutcome submit(const engine::Sitrep& s) {
        const std::string id = s.effective_submission_id();
        if (auto earlier = seen_.check(s, id, engine_.model())) {
            return *earlier;
        }
        engine::SubmitOutcome out = engine_.submit(s, std::nullopt);
        seen_.remember(s, id, out, engine_.model());
        return out;
    }
    const SeenSubmissions& seen() const { return seen_; }

private:
    engine::Engine engine_;
    SeenSubmissions seen_;
};

TEST(SeenSubmissionsTest, AResendOfTheSameContentIsDuplicateNamingTheFirstOutcome) {
    Offline offline;
    EXPECT_EQ(offline.submit(sitrep("RWJ", "2026-01-13T10:00:00Z", 380)).status,
              engine::SubmitStatus::accepted);
    EXPECT_EQ(offline.submit(sitrep("RWJ", "2026-01-13T08:00:00Z", 380)).status,
              engine::SubmitStatus::late);
    const auto resent = offline.submit(sitrep("RWJ", "2026-01-13T08:00:00Z", 380));
    EXPECT_EQ(resent.status, engine::SubmitStatus::duplicate);
    EXPECT_EQ(resent.original_status, engine::SubmitStatus::late);
    EXPECT_TRUE(resent.results.empty());
}

TEST(SeenSubmissionsTest, AnExplicitKeyReusedForAnotherSiteOrTimeIsAConflictNamingIt) {
    Offline offline;
    ASSERT_EQ(offline.submit(sitrep("RWJ", "2026-01-13T08:00:00Z", 380, "k1")).status,
              engine::SubmitStatus::accepted);
    const auto site = offline.submit(sitrep("RMC", "2026-01-13T08:00:00Z", 380, "k1"));
    ASSERT_EQ(site.status, engine::SubmitStatus::rejected);
    ASSERT_EQ(site.errors.size(), 1U);
    EXPECT_EQ(site.errors[0].code, "idempotency_conflict");
    EXPECT_NE(site.errors[0].message.find("site RWJ, not RMC"), std::string::npos);
    const auto time = offline.submit(sitrep("RWJ", "2026-01-13T09:00:00Z", 380, "k1"));
    EXPECT_NE(
        time.errors.at(0).message.find("as_at 2026-01-13T08:00:00Z, not 2026-01-13T09:00:00Z"),
        std::string::npos);
    const auto measures = offline.submit(sitrep("RWJ", "2026-01-13T08:00:00Z", 381, "k1"));
    EXPECT_NE(measures.errors.at(0).message.find("(other measures)"), std::string::npos);
}

TEST(SeenSubmissionsTest, ARejectedSubmissionIsNotRememberedSoItCanBeSentAgainCorrected) {
    Offline offline;
    engine::Sitrep bad = sitrep("RWJ", "2026-01-13T08:00:00Z", 380, "k1");
    bad.measures["no_such_measure"] = 1;
    EXPECT_EQ(offline.submit(bad).status, engine::SubmitStatus::rejected);
    EXPECT_EQ(offline.seen().size(), 0U);
    EXPECT_EQ(offline.submit(sitrep("RWJ", "2026-01-13T08:00:00Z", 380, "k1")).status,
              engine::SubmitStatus::accepted);
}

// The same decisions as the engine's own memory of submissions over a stream of resends,
// corrections, late and conflicting sitreps (the error texts aside: see the header).
TEST(SeenSubmissionsTest, DecidesAsTheEnginesOwnMemoryOnAMixedStream) {
    Offline offline;
    engine::Engine tracking(shipped(), engine::EngineOptions{.track_submissions = true});
    std::vector<engine::Sitrep> stream;
    const std::vector<std::string> sites = {"RWJ", "RMC", "RMP"};
    const std::vector<std::string> times = {"2026-01-13T08:00:00Z", "2026-01-13T10:00:00Z",
                                            "2026-01-13T09:00:00Z", "2026-01-13T12:00:00Z"};
    for (int i = 0; i < 200; ++i) {  // a fixed pseudo-random walk over a few contents and keys
        const auto k = static_cast<std::size_t>((i * 7919) % 97);
        std::string id = k % 5 == 0 ? "key-" + std::to_string(k % 3) : "";
        stream.push_back(sitrep(sites[k % sites.size()], times[(k / 3) % times.size()],
                                370 + static_cast<double>(k % 4), id));
    }
    int duplicates = 0;
    int conflicts = 0;
    for (const engine::Sitrep& s : stream) {
        const engine::SubmitOutcome mine = offline.submit(s);
        const engine::SubmitOutcome engines = tracking.submit(s, std::nullopt);
        ASSERT_EQ(mine.status, engines.status) << s.effective_submission_id();
        ASSERT_EQ(mine.original_status, engines.original_status);
        ASSERT_EQ(mine.submission_id, engines.submission_id);
        ASSERT_EQ(mine.errors.size(), engines.errors.size());
        if (!mine.errors.empty()) {
            EXPECT_EQ(mine.errors[0].code, engines.errors[0].code);
        }
        duplicates += mine.status == engine::SubmitStatus::duplicate ? 1 : 0;
        conflicts += !mine.errors.empty() && mine.errors[0].code == "idempotency_conflict" ? 1 : 0;
    }
    EXPECT_GT(duplicates, 0);  // the stream does exercise both
    EXPECT_GT(conflicts, 0);
}

}  // namespace
}  // namespace opel::cli
