namespace MedNode.Core.Storage;

/// <summary>
/// The syntax of a UID (PS3.5 §9.1): components of digits separated by dots, at most 64 characters, no leading zero
/// in a component of more than one digit. Blob keys and paths are built only from UIDs that pass this check.
/// </summary>
public static class DicomUidText
{
    public const int MaxLength = 64;

    public static bool IsValid(string? uid)
    {
        if (string.IsNullOrEmpty(uid) || uid.Length > MaxLength) return false;
        var componentStart = 0;
        for (var i = 0; i <= uid.Length; i++)
        {
            if (i == uid.Length || uid[i] == '.')
            {
                var length = i - componentStart;
                if (length == 0) return false;
                if (length > 1 && uid[componentStart] == '0') return false;
                componentStart = i + 1;
            }
            else if (uid[i] is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }
}
