#!/usr/bin/env escript
%%! -noshell +fnu
-mode(compile).
%% Builds Hex package tarballs with the hex_core that rebar3 bundles
%% (r3_hex_tarball:create/2), from files on disk and a metadata.config, so
%% that tests can compare hexpub's bytes with hex_core's for the same input.
%%
%% usage: hex_core_create.escript REBAR3_ESCRIPT CASE_DIR...
%% Each CASE_DIR holds `metadata.config` (read with file:consult, so Erlang
%% parses it, not hexpub), `files.txt` (one package path per line, in the
%% order to pack them) and `root/` (the files themselves, modes and symlinks
%% as hexpub packed them). Writes CASE_DIR/hex_core.tar, or CASE_DIR/error.txt.
main([Rebar3 | Cases]) ->
    load_rebar3_hex_core(Rebar3),
    lists:foreach(fun create/1, Cases).

create(Dir) ->
    {ok, Pairs} = file:consult(filename:join(Dir, "metadata.config")),
    Meta = maps:map(fun as_rebar3_hex_gives_it/2, maps:from_list(Pairs)),
    {ok, Listing} = file:read_file(filename:join(Dir, "files.txt")),
    Paths = [unicode:characters_to_list(P) || P <- binary:split(Listing, <<"\n">>, [global, trim_all])],
    Root = filename:join(Dir, "root"),
    Files = [{P, filename:join(Root, P)} || P <- Paths],
    case r3_hex_tarball:create(Meta, Files) of
        {ok, #{tarball := Tarball}} ->
            ok = file:write_file(filename:join(Dir, "hex_core.tar"), Tarball);
        Other ->
            ok = file:write_file(filename:join(Dir, "error.txt"), io_lib:format("~tp~n", [Other]))
    end.

%% rebar3_hex passes requirements and links as maps (each requirement a map too).
as_rebar3_hex_gives_it(<<"requirements">>, Reqs) ->
    maps:from_list([{Name, maps:from_list(Props)} || {Name, Props} <- Reqs]);
as_rebar3_hex_gives_it(<<"links">>, Links) ->
    maps:from_list(Links);
as_rebar3_hex_gives_it(_, Value) ->
    Value.

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
