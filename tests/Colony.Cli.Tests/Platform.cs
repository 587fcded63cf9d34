using System.Runtime.Versioning;

// Like the CLI they test: /proc, setsid, kill(2) and Unix file modes.
[assembly: SupportedOSPlatform("linux")]
