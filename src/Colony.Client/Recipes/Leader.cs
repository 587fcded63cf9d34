namespace Colony.Client.Recipes;

/// <summary>The current leader of an election: the identifier it campaigned with and its node.</summary>
public sealed record Leader(string Identifier, string NodePath);
