using Microsoft.AspNetCore.Http;

namespace Colony.Node.Security;

/// <summary>The HTTP API's answers for who may call it: 401 when it does not know the caller, 403 when the caller may not.</summary>
public static class AccessProblems
{
    public const string Hint = "send Authorization: Bearer TOKEN, with the cluster token or one from `colony token create`";

    public static IResult NoToken(string what) =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "authentication required", detail: $"{what} needs a token: {Hint}");

    public static IResult BadToken() =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "invalid token",
            detail: "the bearer token is not valid here: revoked, mistyped, its job has ended, or it is for another cluster");

    public static IResult Forbidden(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "permission denied", detail: detail);

    public static IResult AdminOnly(Caller caller, string what) =>
        Forbidden($"{what} is for the cluster's administrators (the cluster token or an --admin token); {caller.User} is not one");
}
