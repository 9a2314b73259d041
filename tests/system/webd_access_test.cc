// opel-webd with a users file: logins and roles, upload tokens limited to their sites, the
// live feed behind a login, HTTPS, the non-loopback rule and SIGHUP. The users file is made
// by the real `opel web-user` and `opel web-token`, as an operator would.
#include <sys/stat.h>

#include <csignal>

#include "support/metrics.h"
#include "support/tls.h"
#include "webd_fixture.h"

namespace opel {
namespace {

using testing::http_get;
using testing::http_request;

const std::string viewer_password = "a quiet viewer passphrase";
const std::string acker_password = "tea and escalation cards";
const std::string submitter_password = "stockport flow team sitreps";
const std::map<std::string, std::string> json_type{{"Content-Type", "application/json"}};
const std::map<std::string, std::string> csv_type{{"Content-Type", "text/csv"}};

std::string login_body(const std::string& name, const std::string& password) {
    return R"({"name":")" + name + R"(","password":")" + password + R"("})";
}

// The session cookie ("opel_session=...") a login answer sets, or "".
std::string session_cookie(const testing::HttpReply& reply) {
    const std::size_t at = reply.headers.find("opel_session=");
    return at == std::string::npos ? ""
                                   : reply.headers.substr(at, reply.headers.find(';', at) - at);
}

class WebdAccessTest : public WebdTest {
protected:
    void SetUp() override {
        WebdTest::SetUp();
        users_ = dir_ / "users.textproto";
        const CommandRun viewer =
            opel_command("web-user --name 'Vera Viewer' --role viewer", viewer_password);
        const CommandRun acker =
            opel_command("web-user --name 'Dr A Patel' --role acknowledger", acker_password);
        const CommandRun submitter = opel_command(
            "web-user --name rwj-flow --role submitter --site RWJ", submitter_password);
        const CommandRun token =
            opel_command("web-token --name stockport-bi --site RWJ --token-file " +
                         (dir_ / "bi.token").string());
        for (const CommandRun* r : {&viewer, &acker, &submitter, &token}) {
            ASSERT_EQ(r->status, 0) << r->out;
        }
        std::ofstream(users_) << viewer.out << acker.out << submitter.out << token.out;
        std::ifstream in(dir_ / "bi.token");
        std::getline(in, token_);
        ASSERT_EQ(token_.size(), 64U);
    }

    void start_with_users(std::vector<std::string> extra = {}) {
        extra.insert(extra.begin(), {"--users-file", users_.string()});
        start_webd(std::move(extra));
        address_ = *webd_->address();
    }

    // Logs in; the session cookie ("" when refused).
    std::string login(const std::string& name, const std::string& password) {
        auto reply =
            http_request("POST", address_, "/api/v1/login", login_body(name, password), json_type);
        return reply && reply->status == 200 ? session_cookie(*reply) : "";
    }

    fs::path users_;
    std::string token_;
    std::string address_;
};

TEST_F(WebdAccessTest, WithoutALoginOnlyThePageAndHealthAreServed) {
    start_escalator();
    start_with_users();
    EXPECT_EQ(http_get(address_, "/")->status, 200);  // the page, to show its login form
    EXPECT_EQ(http_get(address_, "/healthz")->status, 200);
    for (const char* target : {"/api/v1/state", "/api/v1/nodes/RWJ", "/api/v1/alerts",
                               "/api/v1/history?node=RWJ", "/api/v1/me"}) {
        auto reply = http_get(address_, target);
        ASSERT_TRUE(reply.has_value()) << target;
        EXPECT_EQ(reply->status, 401) << target << ": " << reply->body;
    }
    auto state = http_get(address_, "/api/v1/state");
    EXPECT_NE(state->headers.find("WWW-Authenticate: Bearer realm=\"opel-webd\""),
              std::string::npos)
        << state->headers;
    EXPECT_EQ(Json(state->body).text("/error"), "log in first (POST /api/v1/login)");
    EXPECT_THROW(WebSocketClient(address_, "/api/v1/live", 5s), std::exception);
    // A wrong password and an unknown name get the same answer.
    auto wrong = http_request("POST", address_, "/api/v1/login",
                              login_body("Vera Viewer", "not the passphrase"), json_type);
    auto unknown = http_request("POST", address_, "/api/v1/login",
                                login_body("Nobody", viewer_password), json_type);
    ASSERT_TRUE(wrong && unknown);
    EXPECT_EQ(wrong->status, 401);
    EXPECT_EQ(unknown->status, 401);
    EXPECT_EQ(wrong->body, unknown->body);
    EXPECT_EQ(Json(wrong->body).text("/error"), "wrong name or password");
    auto garbage = http_request("POST", address_, "/api/v1/login", "name=x", json_type);
    EXPECT_EQ(garbage->status, 400);
    EXPECT_EQ(webd_->wait_metric("opel_webd_logins_total", 2, 10s, {{"outcome", "refused"}}), 2);
    // The password typed is never written to the log.
    EXPECT_EQ(webd_->log().find("not the passphrase"), std::string::npos);
    EXPECT_NE(webd_->log().find("login refused for 'Nobody'"), std::string::npos);
}

TEST_F(WebdAccessTest, AViewerReadsTheBoardLiveButMayNotAcknowledgeOrUpload) {
    start_escalator();
    start_with_users();
    auto reply = http_request("POST", address_, "/api/v1/login",
                              login_body("Vera Viewer", viewer_password), json_type);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->status, 200) << reply->body;
    EXPECT_EQ(Json(reply->body).text("/name"), "Vera Viewer");
    EXPECT_EQ(Json(reply->body).text("/role"), "viewer");
    const std::string cookie = session_cookie(*reply);
    ASSERT_EQ(cookie.size(), std::string("opel_session=").size() + 64) << reply->headers;
    EXPECT_NE(reply->headers.find(cookie + "; Path=/; HttpOnly; SameSite=Strict\r\n"),
              std::string::npos)
        << reply->headers;
    EXPECT_EQ(reply->headers.find("Secure"), std::string::npos);  // plain HTTP (loopback)
    const std::map<std::string, std::string> with{{"Cookie", cookie}};
    EXPECT_EQ(http_request("GET", address_, "/api/v1/state", {}, with)->status, 200);
    EXPECT_EQ(Json(http_request("GET", address_, "/api/v1/me", {}, with)->body).text("/name"),
              "Vera Viewer");
    // Live: a level change reaches the viewer's socket.
    WebSocketClient ws(address_, "/api/v1/live", 10s, cookie);
    submit(opel4("RWJ", at(0)));
    EXPECT_TRUE(await(
                    ws, [](Json& m) { return m.text("/status/status") == "STATUS_OPEL_4"; }, 10s)
                    .has_value());
    std::map<std::string, std::string> post = with;
    post.insert(json_type.begin(), json_type.end());
    auto ack = http_request("POST", address_, "/api/v1/ack",
                            R"({"transition_id":"RWJ#1","by":"Vera"})", post);
    EXPECT_EQ(ack->status, 403);
    EXPECT_EQ(Json(ack->body).text("/error"), "Vera Viewer (viewer) may not acknowledge alerts");
    std::map<std::string, std::string> csv = with;
    csv["Content-Type"] = "text/csv";
    auto upload =
        http_request("POST", address_, "/api/v1/sitreps", "site_id,as_at\nRWJ," + at(1), csv);
    EXPECT_EQ(upload->status, 403);
    // Logging out ends the session.
    auto out = http_request("POST", address_, "/api/v1/logout", {}, with);
    EXPECT_EQ(out->status, 200);
    EXPECT_NE(out->headers.find("opel_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
              std::string::npos)
        << out->headers;
    EXPECT_EQ(http_request("GET", address_, "/api/v1/state", {}, with)->status, 401);
    EXPECT_EQ(webd_->log().find(cookie.substr(13)), std::string::npos);  // no session id logged
}

TEST_F(WebdAccessTest, AnAcknowledgementCarriesTheLoginNameWhateverIsTyped) {
    start_escalator();
    start_with_users();
    submit(opel4("RWJ", at(0)));  // RWJ#1
    const std::string cookie = login("Dr A Patel", acker_password);
    ASSERT_FALSE(cookie.empty());
    std::map<std::string, std::string> post{{"Cookie", cookie}};
    post.insert(json_type.begin(), json_type.end());
    auto ack =
        http_request("POST", address_, "/api/v1/ack",
                     R"({"transition_id":"RWJ#1","by":"Someone Else","note":"on it"})", post);
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->status, 200) << ack->body;
    EXPECT_EQ(Json(ack->body).text("/result/acknowledged/by"), "Dr A Patel");
    // Without the session the same request is refused, not anonymous.
    EXPECT_EQ(http_request("POST", address_, "/api/v1/ack", R"({"transition_id":"RWJ#1","by":"x"})",
                           json_type)
                  ->status,
              401);
}

TEST_F(WebdAccessTest, ASubmitterAndATokenUploadOnlyForTheirSites) {
    start_escalator();
    start_with_users();
    const std::string csv =
        "site_id,as_at,ambulance_handover_mean_minutes,ga_beds_occupied,"
        "nctr_patients\nRWJ," +
        at(-60) + ",70,200,50\nRMC," + at(-60) + ",5,200,10\n";
    const std::string cookie = login("rwj-flow", submitter_password);
    ASSERT_FALSE(cookie.empty());
    std::map<std::string, std::string> as_submitter = csv_type;
    as_submitter["Cookie"] = cookie;
    auto upload = http_request("POST", address_, "/api/v1/sitreps", csv, as_submitter);
    ASSERT_TRUE(upload.has_value());
    EXPECT_EQ(upload->status, 207) << upload->body;
    Json reply(upload->body);
    EXPECT_EQ(reply.text("/results/0/reply/status"), "SUBMIT_STATUS_ACCEPTED");
    EXPECT_EQ(reply.text("/results/1/reply/status"), "SUBMIT_STATUS_REJECTED");
    EXPECT_EQ(reply.text("/results/1/reply/errors/0/field"), "site_id");
    EXPECT_EQ(reply.text("/results/1/reply/errors/0/code"), "not_allowed");
    EXPECT_EQ(reply.text("/results/1/reply/errors/0/message"),
              "'RMC' is not a site rwj-flow may submit for (RWJ)");
    // The token: its own site only; it reads nothing.
    std::map<std::string, std::string> as_token = csv_type;
    as_token["Authorization"] = "Bearer " + token_;
    const std::string one =
        "site_id,as_at,ambulance_handover_mean_minutes,ga_beds_occupied,"
        "nctr_patients\nRWJ," +
        at(0) + ",5,200,10\n";
    auto by_token = http_request("POST", address_, "/api/v1/sitreps", one, as_token);
    EXPECT_EQ(by_token->status, 200) << by_token->body;
    EXPECT_EQ(http_request("GET", address_, "/api/v1/state", {}, as_token)->status, 401);
    as_token["Authorization"] = "Bearer " + std::string(64, '0');
    auto forged = http_request("POST", address_, "/api/v1/sitreps", one, as_token);
    EXPECT_EQ(forged->status, 401);
    EXPECT_EQ(Json(forged->body).text("/error"), "the bearer token is not known");
    // Neither the token nor a password is in the log; who uploaded is.
    const std::string log = webd_->log();
    EXPECT_EQ(log.find(token_), std::string::npos);
    EXPECT_EQ(log.find(submitter_password), std::string::npos);
    EXPECT_NE(log.find("by stockport-bi: HTTP 200"), std::string::npos) << log;
}

TEST_F(WebdAccessTest, SighupRereadsTheUsersAndEndsTheSessionsOfThoseRemoved) {
    start_escalator();
    start_with_users();
    const std::string viewer = login("Vera Viewer", viewer_password);
    const std::string acker = login("Dr A Patel", acker_password);
    ASSERT_FALSE(viewer.empty() || acker.empty());
    // The file without the viewer (its first entry).
    std::ifstream in(users_);
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    std::ofstream(users_) << all.substr(all.find("}\n") + 2);
    webd_->signal(SIGHUP);
    // Reloaded: the viewer's session ends, the acknowledger's stays.
    ASSERT_TRUE(webd_->wait_log("users: 2 users and 1 upload tokens", 10s)) << webd_->log();
    EXPECT_EQ(http_request("GET", address_, "/api/v1/state", {}, {{"Cookie", viewer}})->status,
              401);
    EXPECT_EQ(http_request("GET", address_, "/api/v1/state", {}, {{"Cookie", acker}})->status, 200);
    EXPECT_TRUE(login("Vera Viewer", viewer_password).empty());
    // A broken file is refused and the users read before stay.
    std::ofstream(users_) << "users { name: \"x\" }\n";
    webd_->signal(SIGHUP);
    EXPECT_TRUE(webd_->wait_log("the users read before stay", 10s)) << webd_->log();
    EXPECT_EQ(http_request("GET", address_, "/api/v1/state", {}, {{"Cookie", acker}})->status, 200);
}

TEST_F(WebdAccessTest, OverHttpsTheCookieIsSecureAndPlainHttpGetsNothing) {
    const testing::TestCertificate cert = testing::make_certificate(dir_, "webd");
    start_escalator();
    webd_ = std::make_unique<Webd>(
        dir_, dir_ / "opel.textproto", *escalator_,
        std::vector<std::string>{"--users-file", users_.string(), "--tls-certificate",
                                 cert.certificate, "--tls-private-key", cert.private_key});
    webd_->launch();
    // Ready when /readyz answers 200 over HTTPS (the monitored start() speaks plain HTTP).
    std::optional<testing::HttpReply> ready;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto at = webd_->address()) {
            address_ = *at;
            ready = testing::https_request("GET", address_, "/readyz", cert.certificate);
            if (ready && ready->status == 200) {
                break;
            }
        }
        std::this_thread::sleep_for(20ms);  // then look again
    }
    ASSERT_TRUE(ready && ready->status == 200) << webd_->log();
    EXPECT_NE(webd_->log().find("metrics: https://"), std::string::npos);
    std::string error;
    auto reply =
        testing::https_request("POST", address_, "/api/v1/login", cert.certificate,
                               login_body("Vera Viewer", viewer_password), json_type, &error);
    ASSERT_TRUE(reply.has_value()) << error;
    EXPECT_EQ(reply->status, 200) << reply->body;
    EXPECT_NE(reply->headers.find("; Secure"), std::string::npos) << reply->headers;
    EXPECT_NE(reply->headers.find("Strict-Transport-Security"), std::string::npos);
    auto state = testing::https_request("GET", address_, "/api/v1/state", cert.certificate, {},
                                        {{"Cookie", session_cookie(*reply)}}, &error);
    ASSERT_TRUE(state.has_value()) << error;
    EXPECT_EQ(state->status, 200);
    EXPECT_FALSE(http_get(address_, "/api/v1/state", 5s).has_value());  // not TLS: closed
}

TEST_F(WebdAccessTest, ANonLoopbackAddressNeedsTlsAndUsers) {
    start_escalator();
    // Users without TLS: refused, saying what is missing.
    webd_ = std::make_unique<Webd>(
        dir_, dir_ / "opel.textproto", *escalator_,
        std::vector<std::string>{"--users-file", users_.string(), "--address", "0.0.0.0:0"});
    webd_->launch();
    EXPECT_EQ(webd_->wait_exit(20s), 1);
    EXPECT_NE(webd_->log().find("refusing to serve the wallboard on non-loopback address "
                                "0.0.0.0:0 without TLS: configure"),
              std::string::npos)
        << webd_->log();
    // Both: it serves (on every address, loopback included).
    const testing::TestCertificate cert = testing::make_certificate(dir_, "webd");
    webd_ = std::make_unique<Webd>(
        dir_, dir_ / "opel.textproto", *escalator_,
        std::vector<std::string>{"--users-file", users_.string(), "--address", "0.0.0.0:0",
                                 "--tls-certificate", cert.certificate, "--tls-private-key",
                                 cert.private_key});
    webd_->launch();
    EXPECT_TRUE(webd_->wait_log("metrics: https://0.0.0.0:", 20s)) << webd_->log();
}

TEST_F(WebdAccessTest, ABrokenUsersFileOrTlsFileStopsItNamingTheProblem) {
    start_escalator();
    std::ofstream(users_) << "users { name: \"x\" role: WEB_ROLE_SUBMITTER password_hash: "
                             "\"plain\" sites: \"QOP\" }\n";
    webd_ = std::make_unique<Webd>(dir_, dir_ / "opel.textproto", *escalator_,
                                   std::vector<std::string>{"--users-file", users_.string()});
    webd_->launch();
    EXPECT_EQ(webd_->wait_exit(20s), 1);
    EXPECT_NE(webd_->log().find("users.textproto:1: users[0].password_hash: not a "
                                "crypto_pwhash_str hash"),
              std::string::npos)
        << webd_->log();
    EXPECT_NE(webd_->log().find("users[0].sites[0]: 'QOP' is not a site (a system)"),
              std::string::npos);
    webd_ = std::make_unique<Webd>(
        dir_, dir_ / "opel.textproto", *escalator_,
        std::vector<std::string>{"--tls-certificate", (dir_ / "absent.pem").string(),
                                 "--tls-private-key", (dir_ / "absent-key.pem").string()});
    webd_->launch();
    EXPECT_EQ(webd_->wait_exit(20s), 1);
    EXPECT_NE(webd_->log().find("cannot use the TLS certificate " + (dir_ / "absent.pem").string()),
              std::string::npos)
        << webd_->log();
}

}  // namespace
}  // namespace opel
