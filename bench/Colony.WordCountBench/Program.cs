Console.Error.WriteLine("usage: Colony.WordCountBench (not built yet)");
return 2;
