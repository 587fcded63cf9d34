using System.Runtime.Versioning;

// Process control reads /proc, starts nodes under setsid and signals them with kill(2).
[assembly: SupportedOSPlatform("linux")]
