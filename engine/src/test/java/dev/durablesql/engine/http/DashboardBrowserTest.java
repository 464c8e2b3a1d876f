package dev.durablesql.engine.http;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in a real browser: headless Chromium from Debian's {@code chromium} package, driven
 * through {@code /usr/bin/chromedriver} (Selenium Manager never downloads anything). Run with
 * {@code mvn -Pbrowser verify}; skipped when Chromium is not installed.
 */
@Tag("browser")
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Engine engine;
  private static DashboardServer server;
  private final Workflows workflows = new Workflows(postgres);
  private WebDriver browser;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "browser tests need Debian's chromium and chromium-driver packages"
            + " (apt-get install -y chromium chromium-driver)");
    engine = Engine.start(postgres.engineConfig("dashboard-browser"));
    server =
        DashboardServer.start(
            new HttpSettings(
                "127.0.0.1",
                DashboardApiTest.freePort(),
                HttpSettings.Auth.PASSWORD,
                Optional.empty(),
                Optional.empty(),
                Duration.ofMinutes(5)),
            engine);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  @BeforeEach
  void openBrowser() {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1440,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().implicitlyWait(Duration.ZERO);
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  private void signIn(String role, String password) {
    browser.get(server.url());
    WebElement form = visible(By.id("sign-in-form"));
    form.findElement(By.id("sign-in-role")).sendKeys(role);
    form.findElement(By.id("sign-in-password")).sendKeys(password);
    form.findElement(By.id("sign-in-button")).click();
  }

  private WebElement visible(By locator) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () ->
                browser.findElements(locator).stream().filter(WebElement::isDisplayed).findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  private void awaitNodeStatus(String type, String status) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> nodeClasses(type).stream().anyMatch(c -> c.contains(" " + status)));
  }

  /** The class attributes of the graph's node boxes of one type, read from their tooltips. */
  private List<String> nodeClasses(String type) {
    return browser.findElements(By.cssSelector("#graph g.node")).stream()
        .filter(
            g -> g.findElement(By.tagName("title")).getAttribute("textContent").startsWith(type))
        .map(g -> g.getAttribute("class"))
        .toList();
  }

  private void confirm() {
    visible(By.id("confirm-dialog"));
    browser.findElement(By.id("confirm-yes")).click();
  }

  private String waitingInstance(String role, String label) throws Exception {
    return workflows.start(
        role,
        "df.seq(df.wait_for_signal('go'), 'SELECT 42 AS answer'), " + Workflows.literal(label));
  }

  @Test
  void aliceSignsInWatchesHerInstanceAndCompletesItWithASignal() throws Exception {
    String id = waitingInstance(ALICE, "browser-signal");

    signIn(ALICE, "any");
    WebElement row = visible(By.cssSelector("#instance-rows tr[data-instance-id='" + id + "']"));
    assertThat(visible(By.id("who")).getText()).isEqualTo("role alice");
    row.click();
    visible(By.cssSelector("#graph svg"));
    awaitNodeStatus("SIGNAL", "running");
    assertThat(nodeClasses("SQL")).allMatch(c -> c.contains(" pending"));
    browser.findElements(By.cssSelector("#graph g.node")).stream()
        .filter(g ->
            g.findElement(By.tagName("title")).getAttribute("textContent").startsWith("SIGNAL"))
        .findFirst()
        .orElseThrow()
        .click();
    assertThat(visible(By.id("node-details")).getText()).contains("signal_name");
    WebElement name = browser.findElement(By.id("signal-name"));
    await().atMost(Duration.ofSeconds(5)).until(() -> "go".equals(name.getAttribute("value")));
    browser.findElement(By.id("signal-button")).click();
    assertThat(visible(By.id("confirm-text")).getText()).contains("'go'");
    confirm();

    awaitNodeStatus("SQL", "completed");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> browser.findElement(By.id("instance-status")).getText().equals("completed"));
    assertThat(workflows.status(id)).isEqualTo("completed");
    assertThat(browser.findElement(By.id("event-rows")).getText())
        .contains("instance_completed")
        .contains("signal 'go' sent");
  }

  @Test
  void aliceCancelsAnInstanceAfterConfirming() throws Exception {
    String id = waitingInstance(ALICE, "browser-cancel");

    signIn(ALICE, "any");
    visible(By.id("list-view"));
    browser.get(server.url() + "#/instances/" + id);
    awaitNodeStatus("SIGNAL", "running");
    browser.findElement(By.id("cancel-button")).click();
    visible(By.id("confirm-dialog"));
    browser.findElement(By.id("confirm-no")).click();
    assertThat(workflows.status(id)).isIn("pending", "running");
    browser.findElement(By.id("cancel-button")).click();
    WebElement reason = visible(By.id("confirm-reason"));
    reason.clear();
    reason.sendKeys("changed my mind");
    confirm();

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> browser.findElement(By.id("instance-status")).getText().equals("cancelled"));
    assertThat(workflows.status(id)).isEqualTo("cancelled");
    assertThat(browser.findElement(By.id("instance-facts")).getText()).contains("changed my mind");
  }

  @Test
  void bobSeesNeitherAlicesInstanceInTheUiNorActsOnItThroughTheApi() throws Exception {
    String id = waitingInstance(ALICE, "browser-alice-only");
    String bobs = waitingInstance(BOB, "browser-bob-own");

    signIn(BOB, "any");
    visible(By.cssSelector("#instance-rows tr[data-instance-id='" + bobs + "']"));
    assertThat(
            browser.findElements(
                By.cssSelector("#instance-rows tr[data-instance-id='" + id + "']")))
        .isEmpty();
    browser.get(server.url() + "#/instances/" + id);
    assertThat(visible(By.id("banner")).getText()).contains("your role cannot see it");

    ApiClient bob = new ApiClient(server.url());
    bob.signIn(BOB, "any");
    HttpResponse<String> read = bob.get("/api/instances/" + id);
    HttpResponse<String> cancel = bob.postAsDashboard("/api/instances/" + id + "/cancel", "{}");
    HttpResponse<String> signal =
        bob.postAsDashboard("/api/instances/" + id + "/signal", "{\"name\":\"go\"}");
    HttpResponse<String> withoutToken =
        bob.postWithoutToken("/api/instances/" + bobs + "/cancel", "{}");
    assertThat(read.statusCode()).isEqualTo(404);
    assertThat(cancel.statusCode()).isEqualTo(404);
    assertThat(signal.statusCode()).isEqualTo(404);
    assertThat(withoutToken.statusCode()).isEqualTo(403);
    assertThat(workflows.status(id)).isIn("pending", "running");
    assertThat(workflows.status(bobs)).isIn("pending", "running");
    assertThat(bob.get("/health/ready").body()).contains("UP");
    assertThat(bob.get("/metrics").body()).contains("jvm_threads_live_threads");
  }

  @Test
  void aRefusedSignInSaysSo() {
    signIn("no_such_role", "secret");

    assertThat(visible(By.id("sign-in-error")).getText())
        .contains("PostgreSQL did not accept role 'no_such_role'");
  }

  /**
   * Writes the screenshots of docs/dashboard.md when {@code -Ddashboard.screenshots=DIR} is given:
   * the instances list, and an instance with a JOIN and a MAP while its map runs.
   */
  @Test
  void takesTheScreenshotsOfTheDocs() throws Exception {
    String folder = System.getProperty("dashboard.screenshots", "");
    Assumptions.assumeFalse(folder.isBlank(), "no -Ddashboard.screenshots=DIR given");
    Path target = Path.of(folder);
    Files.createDirectories(target);
    workflows.start(ALICE, "'SELECT 42 AS answer', 'first-workflow'");
    workflows.start(ALICE, "'SELECT 1/0', 'broken-step'");
    waitingInstance(ALICE, "needs-approval");
    String report =
        workflows.start(
            ALICE,
            "df.seq(df.seq(df.join(df.join('SELECT count(*) AS tables FROM pg_class',"
                + " 'SELECT pg_sleep(0.5) AS warmed'), 'SELECT now() AS started'),"
                + " df.map('SELECT g AS n FROM generate_series(1, 40) g',"
                + " 'SELECT pg_sleep(0.5) AS slept', 4)), 'SELECT ''done'' AS report'),"
                + " 'nightly-report'");

    signIn(ALICE, "any");
    visible(By.cssSelector("#instance-rows tr[data-instance-id='" + report + "']"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() ->
            "failed"
                .equals(
                    workflows.status(
                        workflows.queryAsSuperuser(
                            "SELECT id FROM df.instances WHERE label = 'broken-step'"))));
    browser.navigate().refresh();
    visible(By.cssSelector("#instance-rows tr[data-instance-id='" + report + "']"));
    Files.write(
        target.resolve("dashboard-instances.png"),
        ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
    browser.get(server.url() + "#/instances/" + report);
    awaitNodeStatus("MAP", "running");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() ->
            browser.findElement(By.id("graph")).getText().matches("(?s).*rows [1-9]\\d*/40.*"));
    browser.findElements(By.cssSelector("#graph g.node")).stream()
        .filter(
            g -> g.findElement(By.tagName("title")).getAttribute("textContent").startsWith("MAP"))
        .findFirst()
        .orElseThrow()
        .click();
    Files.write(
        target.resolve("dashboard-instance.png"),
        ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
  }
}
