#!/usr/bin/env escript
%%! -noshell
%% Reads a Hex package (or docs) tarball with software hexpub did not write:
%% OTP's erl_tar, and the hex_core that rebar3 bundles (r3_hex_tarball).
%% Prints one Erlang term that the TypeScript tests read back.
%%
%% usage: erlang_unpack.escript package|docs TARBALL REBAR3_ESCRIPT
main([Kind, Path, Rebar3]) ->
    {ok, Bin} = file:read_file(Path),
    load_rebar3_hex_core(Rebar3),
    Result = case Kind of
        "package" -> #{erl_tar => erl_tar_package(Bin), hex_core => hex_core_package(Bin)};
        "docs" -> #{erl_tar => erl_tar_docs(Bin), hex_core => hex_core_docs(Bin)}
    end,
    io:setopts([{encoding, unicode}]),
    io:format("~tp.~n", [Result]).

load_rebar3_hex_core(Rebar3) ->
    {ok, Sections} = escript:extract(Rebar3, []),
    {archive, Zip} = lists:keyfind(archive, 1, Sections),
    {ok, Files} = zip:extract(Zip, [memory]),
    [begin
         Mod = list_to_atom(filename:basename(Name, ".beam")),
         {module, Mod} = code:load_binary(Mod, Name, Beam)
     end || {Name, Beam} <- Files,
            lists:prefix("rebar/ebin/r3_hex", Name) orelse lists:prefix("rebar/ebin/r3_safe", Name)],
    ok.

entries(Tar, Opts) ->
    case erl_tar:extract({binary, Tar}, [memory | Opts]) of
        {ok, Es} -> {ok, [{unicode:characters_to_binary(N), byte_size(C), sha(C)} || {N, C} <- Es]};
        Err -> Err
    end.

table(Tar, Opts) ->
    case erl_tar:table({binary, Tar}, [verbose | Opts]) of
        {ok, Rows} ->
            {ok, [{unicode:characters_to_binary(N), Type, Size, Mode} || {N, Type, Size, _MTime, Mode, _Uid, _Gid} <- Rows]};
        Err -> Err
    end.

erl_tar_package(Bin) ->
    case erl_tar:extract({binary, Bin}, [memory]) of
        {ok, Outer} ->
            Contents = proplists:get_value("contents.tar.gz", Outer, <<>>),
            #{outer => [unicode:characters_to_binary(N) || {N, _} <- Outer],
              outer_table => table(Bin, []),
              inner => entries(Contents, [compressed]),
              inner_table => table(Contents, [compressed])};
        Err -> #{error => Err}
    end.

erl_tar_docs(Bin) ->
    #{inner => entries(Bin, [compressed]), inner_table => table(Bin, [compressed])}.

hex_core_package(Bin) ->
    case r3_hex_tarball:unpack(Bin, memory) of
        {ok, Res} ->
            {ok, maps:map(fun(contents, Files) -> [{unicode:characters_to_binary(N), byte_size(C), sha(C)} || {N, C} <- Files];
                             (_, V) -> V end, Res)};
        {error, Reason} ->
            {error, iolist_to_binary(io_lib:format("~tp", [r3_hex_tarball:format_error(Reason)]))}
    end.

hex_core_docs(Bin) ->
    case erlang:function_exported(r3_hex_tarball, unpack_docs, 2) of
        false -> not_supported;
        true ->
            case r3_hex_tarball:unpack_docs(Bin, memory) of
                {ok, Files} -> {ok, [{unicode:characters_to_binary(N), byte_size(C)} || {N, C} <- Files]};
                {error, Reason} -> {error, iolist_to_binary(io_lib:format("~tp", [Reason]))}
            end
    end.

sha(C) -> binary:encode_hex(crypto:hash(sha256, C)).
