using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Colony.Core;

/// <summary>
/// Always-on checks of a component's own state. A broken invariant means a bug: failing loudly beats
/// silently diverging from the other replicas.
/// </summary>
public static class Invariant
{
    public static void Check(
        [DoesNotReturnIf(false)] bool condition,
        [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            Fail(expression ?? "invariant");
        }
    }

    public static void Check<T>(
        [DoesNotReturnIf(false)] bool condition, string format, T arg,
        [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            Fail($"{expression}: {string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arg)}");
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fail(string message) => throw new InvariantViolationException(message);
}

/// <summary>Thrown when a component finds its own state inconsistent.</summary>
public sealed class InvariantViolationException(string message) : Exception(message);
