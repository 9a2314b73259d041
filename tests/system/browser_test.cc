// The wallboard in a real browser: Debian's headless Chromium, driven over the DevTools
// protocol (support/browser.h), against the real opel-webd and opel-escalatord. What a person
// at the wall screen or on a phone would see: every node, a level changing without a reload,
// the silent-feed banner and its clearing, an upload's per-row table, no sideways scrolling.
//
// Skipped when Chromium is not installed, unless OPEL_REQUIRE_BROWSER=1 (the test command
// installs it and sets that, so CI cannot pass without running them).
#include "support/browser.h"

#include <cstdlib>

#include "adapters/codec/json.h"
#include "webd_fixture.h"

namespace opel {
namespace {

using testing::Browser;

class BrowserTest : public WebdTest {
protected:
    void SetUp() override {
        WebdTest::SetUp();
        const auto program = Browser::program();
        if (!program) {
            const char* required = std::getenv("OPEL_REQUIRE_BROWSER");
            if (required != nullptr && std::string(required) == "1") {
                FAIL() << "OPEL_REQUIRE_BROWSER=1 and no Chromium (/usr/bin/chromium or "
                          "$OPEL_CHROMIUM)";
            }
            GTEST_SKIP() << "no Chromium: apt-get install chromium";
        }
        program_ = *program;
    }
    void TearDown() override {
        if (HasFailure() && browser_) {
            std::cerr << "chromium log:\n" << browser_->log();
        }
        browser_.reset();
        WebdTest::TearDown();
    }
    // The escalator, webd and a browser on `path`, its board drawn.
    void open(const std::string& path, std::vector<std::string> webd_args = {}) {
        start_escalator();
        start_webd(std::move(webd_args));
        url_ = "http://" + *webd_->address();
        browser_ = std::make_unique<Browser>(dir_, program_);
        browser_->navigate(url_ + path);
    }
    // The text of the level badge in a node's row on the board.
    std::string level_of(const std::string& node) {
        return browser_->evaluate("(document.querySelector('#node-" + node +
                                  " .level') || {}).textContent || ''");
    }

    std::string program_;
    std::string url_;
    std::unique_ptr<Browser> browser_;
};

TEST_F(BrowserTest, ThePageShowsEveryNodeAndALevelChangeWithoutAReload) {
    open("/");
    ASSERT_TRUE(browser_->wait_for("document.querySelectorAll('#rows tr').length === 5", 10s))
        << browser_->evaluate("document.getElementById('rows').innerText");
    for (const char* node : {"national", "QOP", "stockport", "RWJ", "RMC"}) {
        EXPECT_EQ(browser_->evaluate("!!document.getElementById('node-" + std::string(node) + "')"),
                  "true")
            << node;
    }
    EXPECT_EQ(level_of("RWJ"), "\"UNKNOWN\"");
    browser_->evaluate("window.notReloaded = true");
    submit(opel4("RWJ", at(0)));
    ASSERT_TRUE(browser_->wait_for(
        "(document.querySelector('#node-RWJ .level') || {}).textContent === 'OPEL 4'", 10s))
        << level_of("RWJ");
    EXPECT_EQ(browser_->evaluate("window.notReloaded === true"), "true");
    // The roll-up and the alert list follow.
    EXPECT_TRUE(browser_->wait_for(
        "(document.querySelector('#node-national .level') || {}).textContent === 'OPEL 4' && "
        "document.getElementById('alerts').innerText.includes('RWJ')",
        10s))
        << browser_->evaluate("document.getElementById('alerts').innerText");
}

TEST_F(BrowserTest, AStoppedEscalatorShowsTheSilentFeedBannerAndRecoveryClearsIt) {
    open("/", {"--feed-silence-seconds", "2"});
    ASSERT_TRUE(browser_->wait_for("document.querySelectorAll('#rows tr').length === 5", 10s));
    EXPECT_EQ(browser_->evaluate("document.getElementById('banner').hidden"), "true");
    escalator_->stop();
    ASSERT_TRUE(
        browser_->wait_for("!document.getElementById('banner').hidden && "
                           "document.getElementById('banner').innerText.includes('silent')",
                           20s))
        << browser_->evaluate("document.getElementById('banner').innerText");
    ASSERT_TRUE(escalator_->start()) << escalator_->log();
    EXPECT_TRUE(browser_->wait_for("document.getElementById('banner').hidden", 30s))
        << browser_->evaluate("document.getElementById('banner').innerText");
}

TEST_F(BrowserTest, ACsvUploadShowsEveryRowsOutcome) {
    open("/upload");
    ASSERT_TRUE(browser_->wait_for("!document.getElementById('upload').hidden", 10s));
    const std::string csv =
        "site_id,as_at,ambulance_handover_mean_minutes,ga_beds_occupied,"
        "nctr_patients\n"
        "RWJ," +
        at(0) +
        ",70,200,50\n"
        "NOPE," +
        at(0) + ",5,200,10\n";
    // What choosing a file does: the input holds it; then the form is sent.
    browser_->evaluate("(() => { const t = new DataTransfer(); t.items.add(new File([" +
                       codec::json_string(csv) +
                       "], 'sitreps.csv', {type: 'text/csv'})); "
                       "document.getElementById('upload-file').files = t.files; "
                       "document.getElementById('upload-form').requestSubmit(); })()");
    ASSERT_TRUE(
        browser_->wait_for("!document.getElementById('upload-results').hidden && "
                           "document.querySelectorAll('#upload-results tbody tr').length === 2",
                           20s))
        << browser_->evaluate("document.getElementById('upload-summary').innerText");
    const std::string rows = browser_->evaluate(
        "[...document.querySelectorAll('#upload-results tbody tr')]"
        ".map((tr) => tr.innerText.replace(/\\s+/g, ' ').trim())");
    EXPECT_NE(rows.find("2 RWJ ACCEPTED now OPEL 4"), std::string::npos) << rows;
    EXPECT_NE(rows.find("REJECTED site_id: no site 'NOPE' in the node tree"), std::string::npos)
        << rows;
    EXPECT_NE(browser_->evaluate("document.getElementById('upload-summary').innerText")
                  .find("2 sitreps: 1 accepted, 1 rejected"),
              std::string::npos)
        << browser_->evaluate("document.getElementById('upload-summary').innerText");
}

TEST_F(BrowserTest, ANodePageChartsItsLevelAndEachParameterAgainstItsThresholds) {
    start_escalator();
    start_webd();
    submit(opel1("RWJ", at(-40)));
    submit(opel4("RWJ", at(-20)));
    url_ = "http://" + *webd_->address();
    browser_ = std::make_unique<Browser>(dir_, program_);
    browser_->navigate(url_ + "/node/RWJ");
    ASSERT_TRUE(browser_->wait_for(
        "document.getElementById('history-state').innerText.startsWith('2 results')", 10s))
        << browser_->evaluate("document.getElementById('history-state').innerText");
    // The level chart, and one per parameter with its three threshold lines.
    const int charts =
        std::stoi(browser_->evaluate("document.querySelectorAll('svg.chart').length"));
    EXPECT_GE(charts, 2);
    EXPECT_EQ(browser_->evaluate("document.querySelectorAll('svg.chart .threshold').length"),
              std::to_string(3 * (charts - 1)));
    EXPECT_EQ(browser_->evaluate("document.querySelectorAll('svg.chart .series').length"),
              std::to_string(charts));
    EXPECT_NE(browser_->evaluate("document.getElementById('history-csv').href")
                  .find("/api/v1/history?node=RWJ&from="),
              std::string::npos);
}

TEST_F(BrowserTest, APhoneScreenHasNoSidewaysScroll) {
    start_escalator();
    start_webd();
    url_ = "http://" + *webd_->address();
    browser_ = std::make_unique<Browser>(dir_, program_);
    browser_->emulate_phone(390, 844);
    submit(opel4("RWJ", at(0)));  // long texts in the "why" column
    for (const std::string path : {"/", "/node/RWJ", "/upload"}) {
        browser_->navigate(url_ + path);
        ASSERT_TRUE(browser_->wait_for("document.querySelectorAll('#rows tr').length === 5", 10s))
            << path;
        EXPECT_EQ(browser_->evaluate("window.innerWidth"), "390") << path;
        EXPECT_EQ(browser_->evaluate("document.documentElement.scrollWidth <= window.innerWidth"),
                  "true")
            << path << ": the page is "
            << browser_->evaluate("document.documentElement.scrollWidth") << " px wide";
    }
}

TEST_F(BrowserTest, ALoginLeadsToTheBoardAndNamesTheAcknowledger) {
    const CommandRun user = opel_command("web-user --name 'Dr A Patel' --role acknowledger",
                                         "tea and escalation cards");
    ASSERT_EQ(user.status, 0);
    std::ofstream(dir_ / "users.textproto") << user.out;
    open("/node/RWJ", {"--users-file", (dir_ / "users.textproto").string()});
    ASSERT_TRUE(browser_->wait_for("!document.getElementById('login').hidden", 10s));
    EXPECT_EQ(browser_->evaluate("document.getElementById('node').hidden"), "true");
    const auto sign_in = [&](const std::string& password) {
        browser_->evaluate(
            "document.getElementById('login-name').value = 'Dr A Patel'; "
            "document.getElementById('login-password').value = '" +
            password + "'; document.getElementById('login-form').requestSubmit()");
    };
    sign_in("not my password");
    EXPECT_TRUE(browser_->wait_for(
        "document.getElementById('login-result').textContent === 'wrong name or password'", 10s))
        << browser_->evaluate("document.getElementById('login-result').textContent");
    sign_in("tea and escalation cards");
    // The page reloads itself once signed in; until the new one runs, evaluation may fail.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool signed_in = false;
    while (!signed_in && std::chrono::steady_clock::now() < deadline) {
        try {
            signed_in = browser_->wait_for(
                "!document.getElementById('node').hidden && "
                "document.getElementById('who-name').textContent === 'Dr A Patel (acknowledger)'",
                5s);
        } catch (const std::runtime_error&) {
            // the old document went away mid-evaluation: ask the new one
        }
    }
    ASSERT_TRUE(signed_in) << browser_->evaluate("document.body.innerText");
    EXPECT_EQ(browser_->evaluate("document.getElementById('ack-by').value"), "\"Dr A Patel\"");
    EXPECT_EQ(browser_->evaluate("document.getElementById('ack-by').readOnly"), "true");
    EXPECT_EQ(browser_->evaluate("document.getElementById('login').hidden"), "true");
}

}  // namespace
}  // namespace opel
