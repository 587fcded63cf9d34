namespace Colony.Client;

/// <summary>Whether a client's callers continue on its receiving thread: yes until one of them stalls it.</summary>
internal sealed class ContinuationPolicy(bool inline)
{
    private volatile bool inline = inline;

    public bool Inline => inline;

    public void StopInline() => inline = false;
}
