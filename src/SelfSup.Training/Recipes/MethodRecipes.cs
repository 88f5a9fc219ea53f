namespace SelfSup.Training;

/// <summary>The methods by name (for <c>selfsup train --method</c> and <c>selfsup methods</c>): the list of recipes.</summary>
public static class MethodRecipes
{
    public static IReadOnlyList<MethodRecipe> All { get; } =
    [
        new InstDiscRecipe(), MoCoRecipe.V1, MoCoRecipe.V2, new SimClrRecipe(), new ByolRecipe(), new BarlowTwinsRecipe(),
        new MoCoV3Recipe(), new DenseClRecipe(),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(r => r.Name)];

    /// <summary>The recipe of method <paramref name="name"/> (case-insensitive).</summary>
    public static MethodRecipe Get(string name) =>
        All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown method '{name}' (known: {string.Join(", ", Names)})");
}
