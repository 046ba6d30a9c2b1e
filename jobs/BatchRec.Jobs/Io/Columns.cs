namespace BatchRec.Jobs.Io;

/// <summary>Every table and column name of the dataset layout and the output tables, in one place.</summary>
public static class Columns
{
    public const string InteractionsTable = "interactions";
    public const string ItemsTable = "items";
    public const string UsersTable = "users";

    public const string UserId = "user_id";
    public const string ItemId = "item_id";
    public const string Timestamp = "timestamp";
    public const string Weight = "weight";
    public const string EventType = "event_type";
    public const string Title = "title";
    public const string Text = "text";
    public const string Tags = "tags";

    public const string Rank = "rank";
    public const string Score = "score";
    public const string Model = "model";
    public const string RunId = "run_id";

    public const string Split = "split";
    public const string Metric = "metric";
    public const string K = "k";
    public const string Value = "value";
}
