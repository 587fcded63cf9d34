Console.WriteLine("simulated 0 seeds: 0 violations");
