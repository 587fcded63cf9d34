using System.Security.Cryptography;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Colony.Coordination.Security;
using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

// SASL DIGEST-MD5 (opcode 102), as ZooKeeper's server does it: an empty first token gets a
// challenge, the client's answer gets the server's proof and a "sasl" identity for ACLs. Bad
// credentials get AuthFailed and the connection is closed.
internal sealed partial class CoordinationServer
{
    private SaslCredentials? _saslCredentials;

    private SaslCredentials SaslUsers => _saslCredentials ??= _options.SaslUsersFile is { } file
        ? SaslCredentials.Parse(File.ReadAllText(file))
        : SaslCredentials.Empty;

    private ErrorCode AuthenticateSasl(SessionState session, SaslRequest request, out IJuteWritable? body)
    {
        body = null;
        if (SaslUsers.Count == 0)
        {
            LogSaslRefused(session.Connection.Remote, "no SASL users are configured (Coordination:SaslUsersFile)");
            return ErrorCode.AuthFailed;
        }
        if (session.SaslNonce is not { } nonce)
        {
            // DIGEST-MD5 starts with the server: whatever the first token holds, answer with a challenge.
            nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
            session.SaslNonce = nonce;
            body = new SaslResponse(DigestMd5.Challenge(nonce));
            return ErrorCode.Ok;
        }
        session.SaslNonce = null;
        var outcome = DigestMd5.Verify(request.Token, nonce, SaslUsers.PasswordOf);
        if (!outcome.Succeeded)
        {
            LogSaslRefused(session.Connection.Remote, outcome.Error!);
            return ErrorCode.AuthFailed;
        }
        var id = new Id(AuthSchemes.Sasl, outcome.User!);
        if (!session.Auth.Contains(id))
        {
            session.Auth.Add(id);
        }
        body = new SaslResponse(outcome.ServerProof!);
        return ErrorCode.Ok;
    }

    [LoggerMessage(EventId = 5043, Level = LogLevel.Warning, Message = "coordination: SASL authentication of {Remote} failed: {Reason}")]
    private partial void LogSaslRefused(string remote, string reason);
}
