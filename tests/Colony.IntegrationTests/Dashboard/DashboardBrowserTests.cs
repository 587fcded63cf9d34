using System.Diagnostics;
using Colony.Client.Jobs;
using Colony.IntegrationTests.FileSystem;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's chromium and chromium-driver), against a real
/// cluster: what an operator sees, including the live update when a node dies. Screenshots of every
/// page go to artifacts/screenshots (docs/images holds copies for the README).
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_overview_lists_three_healthy_nodes_and_shows_a_killed_one_dead()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        ulong leader = await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();
        ulong victim = cluster.Ids.First(id => id != leader);
        ulong viewer = cluster.Ids.First(id => id != leader && id != victim);

        using var browser = Browser.Start();
        browser.Driver.Navigate().GoToUrl(cluster.HttpAddress(viewer) + "/");
        // The first render may predate the first round of polls: the live update brings the rest.
        Wait(browser, () => HealthOf(browser.Driver).Count(h => h.Value == "healthy") == 3, "three healthy nodes on the overview");
        Assert.Equal("No alerts.", browser.Driver.FindElement(By.Id("alerts")).Text);
        browser.Screenshot("overview");

        // A file and a finished job, for the storage and jobs pages (made before the kill, with every node up).
        using (var fs = cluster.FileSystem())
        {
            await Fs.WaitForDataNodesAsync(fs, 3);
            await Fs.WriteAsync(fs, "/datasets/logs/day-1.txt", "ants carry the colony\nthe colony grows\n"u8.ToArray(), Fs.Small());
        }
        using var jobs = new JobClient([.. cluster.Ids.Select(id => new Uri(cluster.HttpAddress(id)))], cluster.Secret);
        string job = await jobs.SubmitAsync(Compute.ComputeCluster.WordCount("/datasets/logs", "/datasets/counts"));
        Assert.Equal(JobStates.Succeeded, (await jobs.WaitAsync(job)).Job.State);

        cluster.Kill(victim);
        // No reload: the page's own live update must show it.
        Wait(browser, () => HealthOf(browser.Driver).GetValueOrDefault(victim) == "dead", $"node {victim} shown dead");
        Assert.Contains($"node {victim} is dead", browser.Driver.FindElement(By.Id("alerts")).Text, StringComparison.Ordinal);
        browser.Screenshot("overview-node-dead");

        browser.Driver.Navigate().GoToUrl(cluster.HttpAddress(viewer) + "/coordination");
        Assert.Contains("Coordination", browser.Driver.FindElement(By.TagName("h1")).Text, StringComparison.Ordinal);
        browser.Screenshot("coordination");

        browser.Driver.Navigate().GoToUrl(cluster.HttpAddress(viewer) + "/coordination/tree?path=%2Fzookeeper");
        Assert.Contains("quota", browser.Driver.FindElement(By.Id("children")).Text, StringComparison.Ordinal);
        browser.Screenshot("znode-browser");

        // The storage browser shows the directories, and the dead node's replicas missing from the block health.
        browser.Driver.Navigate().GoToUrl(cluster.HttpAddress(viewer) + "/storage?path=%2Fdatasets");
        Wait(browser, () => Texts(browser.Driver, "#entries a").Contains("logs"), "the directory in the storage browser");
        Wait(browser, () => Texts(browser.Driver, "[data-blocks=\"under-replicated\"]") is [{ } count] && count != "0",
            "the dead node's blocks under-replicated");
        Assert.Contains("dead", Texts(browser.Driver, "#datanodes tbody tr").Single(r => r.StartsWith($"node {victim}", StringComparison.Ordinal)), StringComparison.Ordinal);
        browser.Screenshot("storage");

        // The jobs list and the job's page, with its tasks and counters.
        browser.Driver.Navigate().GoToUrl(cluster.HttpAddress(viewer) + "/jobs");
        Wait(browser, () => Texts(browser.Driver, "#jobs a").Contains(job), "the job in the list");
        Assert.Contains("succeeded", Texts(browser.Driver, "#jobs tbody tr").Single(), StringComparison.Ordinal);
        browser.Screenshot("jobs");
        browser.Driver.Navigate().GoToUrl(cluster.HttpAddress(viewer) + $"/jobs/{job}");
        Wait(browser, () => Texts(browser.Driver, "#tasks tbody tr").Count >= 2, "the job's map and reduce tasks");
        Assert.Contains("Task.MapInputRecords", Texts(browser.Driver, "#counters code"));
        browser.Screenshot("job");

        browser.Driver.Navigate().GoToUrl(cluster.HttpAddress(leader) + "/node");
        Wait(browser, () => browser.Driver.FindElements(By.CssSelector("#peers tbody tr")).Count == 2, "the leader's peer table");
        browser.Screenshot("node");
        logs.Pass();
    }

    private static List<string> Texts(IWebDriver driver, string selector)
    {
        try
        {
            return [.. driver.FindElements(By.CssSelector(selector)).Select(e => e.Text)];
        }
        catch (StaleElementReferenceException)
        {
            return []; // replaced by the live update mid-read
        }
    }

    private static Dictionary<ulong, string> HealthOf(IWebDriver driver)
    {
        try
        {
            return driver.FindElements(By.CssSelector("[data-node]")).ToDictionary(
                e => ulong.Parse(e.GetAttribute("data-node")!, System.Globalization.CultureInfo.InvariantCulture),
                e => e.GetAttribute("data-health") ?? "");
        }
        catch (StaleElementReferenceException)
        {
            return []; // the live update replaced the table mid-read: look again
        }
    }

    private static void Wait(Browser browser, Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > Patience)
            {
                browser.Screenshot("timeout");
                throw new TimeoutException($"timed out after {Patience.TotalSeconds:0} s waiting for {what}");
            }
            Thread.Sleep(100); // polling a page another process updates, not a stand-in for synchronisation
        }
    }

    private sealed class Browser : IDisposable
    {
        private readonly string _temporary;

        private Browser(ChromeDriver driver, string temporary)
        {
            Driver = driver;
            _temporary = temporary;
        }

        public ChromeDriver Driver { get; }

        public static Browser Start()
        {
            string chromium = Environment.GetEnvironmentVariable("COLONY_CHROMIUM") ?? "/usr/bin/chromium";
            string driverPath = Environment.GetEnvironmentVariable("COLONY_CHROMEDRIVER") ?? "/usr/bin/chromedriver";
            Assert.True(File.Exists(chromium) && File.Exists(driverPath),
                $"the browser test needs {chromium} and {driverPath}: apt-get install chromium chromium-driver (test.sh does)");
            var options = new ChromeOptions { BinaryLocation = chromium };
            options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,900");
            var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driverPath)!, Path.GetFileName(driverPath));
            service.HideCommandPromptWindow = true;
            service.SuppressInitialDiagnosticInformation = true;
            // Chromium puts its singleton socket directory in the temporary folder whatever its profile
            // is, and leaves it there: give the driver and the browser a folder of our own, removed after.
            string temporary = Directory.CreateTempSubdirectory("colony-browser-").FullName;
            service.DriverProcessStarting += (_, e) => e.DriverServiceProcessStartInfo.Environment["TMPDIR"] = temporary;
            try
            {
                return new Browser(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)), temporary);
            }
            catch
            {
                RemoveTemporary(temporary);
                throw;
            }
        }

        public void Screenshot(string name)
        {
            string directory = Path.Combine(ApiSchemas.RepositoryRoot, "artifacts", "screenshots");
            Directory.CreateDirectory(directory);
            ((ITakesScreenshot)Driver).GetScreenshot().SaveAsFile(Path.Combine(directory, $"dashboard-{name}.png"));
        }

        public void Dispose()
        {
            try
            {
                Driver.Quit();
                Driver.Dispose();
            }
            finally
            {
                RemoveTemporary(_temporary);
            }
        }

        /// <summary>The browser's last process may still be exiting after <c>Quit</c>: try again for a while.</summary>
        private static void RemoveTemporary(string directory)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                    return;
                }
                catch (DirectoryNotFoundException)
                {
                    return;
                }
                catch (IOException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
                {
                    Thread.Sleep(100); // waiting for another process to let go of files; nothing to wait on
                }
            }
        }
    }
}
